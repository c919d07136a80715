"""The learner-facing report: progress, one line per exercise, then what to do next."""

from __future__ import annotations

import textwrap
from dataclasses import replace

from .meta import Exercise
from .style import Style
from .verdict import ExerciseResult, RunResult

LABELS = {
    "pass": "passed", "fail": "failed", "not_started": "not started",
    "error": "error", "timeout": "timed out",
}
COLORS = {"pass": "green", "fail": "red", "error": "red", "timeout": "yellow", "not_started": "dim"}


def _points(x: float) -> str:
    return f"{x:g}"


def summary_lines(run: RunResult, s: Style) -> list[str]:
    done = sum(r.passed for r in run.exercises)
    total = len(run.exercises)
    lines = [
        s(run.chapter.title, "bold"),
        f"{s.bar(done, total)} {done}/{total} exercises · {_points(run.score)}/{_points(run.max_score)} points",
        "",
    ]
    width = max((len(r.exercise.name) for r in run.exercises), default=10)
    for r in run.exercises:
        status = s(f"{s.symbol(r.status)} {LABELS[r.status]:<11}", COLORS[r.status])
        lines.append(
            f"  {status}  {r.exercise.id} {r.exercise.name:<{width}}  "
            f"{_points(r.score):>2}/{_points(r.exercise.points)}  {s(r.exercise.title, 'dim')}"
        )
        if r.passed:  # a failing exercise shows its curves with the details of its failure
            lines += [" " * 17 + line for line in loss_curves(r, s)]
    return lines


def _evenly(numbers: list[float], width: int) -> list[float]:
    if len(numbers) <= width:
        return numbers
    return [numbers[round(i * (len(numbers) - 1) / (width - 1))] for i in range(width)]


def loss_curves(r: ExerciseResult, s: Style, width: int = 40) -> list[str]:
    """The learner's loss curve as a sparkline beside the expected one, when a test recorded both."""
    for t in r.tests:
        yours, expected = t.properties.get("losses"), t.properties.get("expected_losses")
        if yours and expected:
            a, b = _evenly(yours, width), _evenly(expected, width)
            line = s.spark(a + b, width=len(a) + len(b))  # one scale for both curves
            return [f"loss, yours:    {line[:len(a)]}", f"loss, expected: {line[len(a):]}"]
    return []


def _indent(text: str, prefix: str = "    ") -> str:
    return textwrap.indent(text, prefix)


def test_details(r: ExerciseResult, s: Style, every: bool) -> list[str]:
    lines = []
    failing = [t for t in r.tests if t.status != "pass"]
    for t in failing if every else failing[:1]:
        lines.append(f"  {s(t.name, 'bold')}")
        lines.append(_indent(t.message or "(no message)"))
        if t.output:
            cut = f"\n[... {t.output_cut} more bytes of output cut]" if t.output_cut else ""
            lines.append(_indent("Your code printed:\n" + _indent(t.output.rstrip(), "  ") + cut))
    lines += [_indent(line) for line in loss_curves(r, s)]
    if not every and len(failing) > 1:
        lines.append(s(f"  ({len(failing) - 1} more failing test{'s' if len(failing) > 2 else ''} "
                       f"in this exercise: add -v to see every one)", "dim"))
    return lines


def next_steps(r: ExerciseResult, target_name: str, s: Style) -> list[str]:
    ex: Exercise = r.exercise
    path = f"{target_name}/{r.file}"  # r.file: a notebook's name when notebooks are graded
    head = f"Next: exercise {ex.id}, {ex.name} ({ex.title}) in {path}"
    return ["", s(head, "bold", "cyan"), *what_to_do(r, path, s),
            f"  Stuck? `python grader.py hint {ex.number}` gives a hint."]


def what_to_do(r: ExerciseResult, path: str, s: Style, every: bool = False) -> list[str]:
    """Why `r` did not pass and what to do about it (the body of next_steps, used by watch mode)."""
    ex: Exercise = r.exercise
    if r.note and r.status != "not_started":
        return [s(f"  {r.note}", "yellow"), *what_to_do(replace(r, waiting_for=[]), path, s, every)]
    if r.status == "not_started":
        lines = [
            f"  {ex.concept}",
            f"  Open {path}, read the docstring, and replace the stub with your code.",
            f"  Read: {', '.join(ex.docs)}.",
        ]
    elif r.status == "fail":
        lines = test_details(r, s, every=every)
    else:
        lines = [_indent(r.message, "  ")]
    if r.where:
        lines.append(s(f"  Look at {r.where}.", "dim"))
    return lines


def render(run: RunResult, *, target_name: str, style: Style, verbose: bool = False) -> str:
    lines = summary_lines(run, style)
    if run.changed_files:
        lines += ["", style("Note: these files differ from the kata's originals, so this result may "
                            "differ from an official grade: " + ", ".join(run.changed_files), "yellow")]
    if verbose:
        for r in run.exercises:
            if r.passed:
                continue
            lines += ["", style(f"{r.exercise.id} {r.exercise.name}: {LABELS[r.status]}", "bold")]
            lines += what_to_do(r, f"{target_name}/{r.file}", style, every=True)
    first = run.first_unfinished()
    if first is not None:
        lines += next_steps(first, target_name, style)
    elif run.exercises and len(run.exercises) == len(run.chapter.exercises):
        lines += ["", style("Chapter complete: every exercise passes. Well done!", "bold", "green"), "",
                  run.chapter.finished]
    elif run.exercises:
        lines += ["", style("Every exercise you asked for passes.", "green")]
    return "\n".join(lines) + "\n"


def render_list(run: RunResult, style: Style) -> str:
    return "\n".join(summary_lines(run, style)) + "\n"
