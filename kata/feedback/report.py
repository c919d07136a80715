"""The report of a run in the terminal: progress per chapter, one line per exercise, then
the first exercise of the course that does not pass and what to do about it."""

from __future__ import annotations

from ..grading.results import RunResult
from .pictures import passing_pictures
from .render import LABELS, TERMINAL, chapter_lines, explain, wrap
from .style import Style


def changed_note(run: RunResult) -> str:
    """A sentence about files of the kata that differ from its manifest; empty if none."""
    if not run.changed_files:
        return ""
    return ("These files differ from the kata's originals (kata/manifest.json), so this result may "
            "differ from an official grade: " + ", ".join(run.changed_files) + ".")


def finished_lines(run: RunResult, s: Style, width: int) -> list[str]:
    """What to say when everything graded passes: each finished chapter's closing text."""
    lines = []
    for chapter, results in run.chapters():
        if len(results) == len(chapter.exercises):
            lines += ["", s(f"Chapter {chapter.number} complete: every exercise passes. Well done!", "bold", "green"), "",
                      *wrap(chapter.finished, width)]
    return lines or ["", s("Every exercise you asked for passes.", "green")]


def render(run: RunResult, style: Style, verbose: bool = False, width: int = 100) -> str:
    lines = chapter_lines(run, style)
    if run.changed_files:
        lines += [style(line, "yellow") for line in wrap(f"Note: {changed_note(run)}", width)] + [""]
    if verbose:
        for r in run.exercises:
            if not r.passed:
                lines += [style(f"{r.exercise.id} {r.exercise.name}: {LABELS[r.status]}", "bold"),
                          *explain(r, TERMINAL, style, every=True, width=width, folder=run.target), ""]
    first = next((r for r in run.exercises if not r.passed), None)
    if first is not None:
        ex = first.exercise
        lines.append(style(f"Next: exercise {ex.id}, {ex.name} ({ex.title}) in {run.target}/{first.file}", "bold", "cyan"))
        lines += explain(first, TERMINAL, style, every=False, width=width, folder=run.target) if not verbose else \
            [line for line in wrap(TERMINAL.hint.format(number=ex.number, id=ex.id), width, "  ")]
    elif run.exercises:
        lines += finished_lines(run, style, width)
        for r in run.exercises:
            lines += [("    " + line).rstrip() for line in passing_pictures(r, style, width - 4)]
    return "\n".join(lines).rstrip("\n") + "\n"
