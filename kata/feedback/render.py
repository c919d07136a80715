"""A verdict in words: why an exercise did not pass and what to do, the same for every front end.

The terminal report, watch mode, a notebook's check and the course reports all show an
exercise through `explain`; only their `Voice` differs: how each one offers a hint and
every failure. Text is wrapped at word boundaries to the width it is shown in.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..grading.results import ExerciseResult, RunResult, TestResult
from ..outcomes import Location, Status
from .pictures import loss_curves, pictures
from .style import Style

LABELS = {
    Status.PASS: "passed", Status.FAIL: "failed", Status.NOT_STARTED: "not started",
    Status.ERROR: "error", Status.TIMEOUT: "timed out",
}
COLORS = {Status.PASS: "green", Status.FAIL: "red", Status.ERROR: "red", Status.TIMEOUT: "yellow",
          Status.NOT_STARTED: "dim"}
NO_WRAP = 10_000


@dataclass(frozen=True)
class Voice:
    """How a front end asks the learner to act. `{number}` and `{id}` stand for the exercise."""

    hint: str = ""  # how to get a hint, as a sentence
    every: str = ""  # how to see every failing test
    here: str = ""  # the file the learner is working in, named "your code cell" (a notebook's own)


TERMINAL = Voice("Stuck? `python grader.py hint {number}` gives a hint.", "add -v to see every one")
WATCH = Voice("Stuck? Press h for a hint.", "start watch with -v to see every one")
WATCH_WITHOUT_KEYS = Voice(TERMINAL.hint, WATCH.every)


def points(x: float) -> str:
    return f"{x:g}"


def where(loc: Location, here: str = "", folder: str = "") -> str:
    """A place in the learner's code, as they know it: file (or notebook and cell), line and code; a
    file of a graded `folder` is named with the folder, as the learner opens it."""
    if loc.file == here and loc.cell:
        text = f"your code cell, line {loc.line}" if loc.line else "your code cell"
    else:
        file = f"{folder}/{loc.file}" if folder and not loc.cell else loc.file
        text = file + (f", {loc.cell}" if loc.cell else "") + (f", line {loc.line}" if loc.line else "")
    return text + (f": {loc.code}" if loc.code else "")


def note(r: ExerciseResult) -> str:
    """Why an earlier exercise may be the real cause of this one's failure."""
    if not r.waiting_for:
        return ""
    names = [f"{e.name} (exercise {e.id})" for e in r.waiting_for]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    verb = "does" if len(names) == 1 else "do"
    return (f"Note: {r.exercise.name} uses your {listed}, which {verb} not pass yet. "
            f"Fix exercise {r.waiting_for[0].id} first: its mistakes show up here too.")


def shows_note(r: ExerciseResult) -> bool:
    """A learner who has not started an exercise needs no word on what it uses."""
    return bool(r.waiting_for) and r.status != Status.NOT_STARTED


def message(r: ExerciseResult) -> str:
    """The first failure as the learner reads it, in one text: for JSON and one-line reports."""
    parts = [note(r) if shows_note(r) else "", r.message, f"  at {where(r.location)}" if r.location else ""]
    return "\n".join(p for p in parts if p)


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """`text` indented, each line cut at word boundaries to `width`; a continued line keeps
    the indentation of the line it continues."""
    out = []
    for line in text.splitlines() or [""]:
        lead = indent + line[:len(line) - len(line.lstrip())]
        out += textwrap.wrap(line.strip(), max(20, width - len(lead)), initial_indent=lead, subsequent_indent=lead + "  ",
                             break_long_words=False, break_on_hyphens=False) or [lead.rstrip()]
    return out


def reflow(text: str) -> str:
    """Prose written at any width as one line per paragraph, for `wrap` to cut to the width it is
    shown in; indented lines (code, tables) keep their own lines, and a list item starts a new one."""
    lines: list[str] = []
    for line in text.splitlines():
        prose = bool(line) and not line[0].isspace() and not line.startswith(("- ", "* ", "|"))
        if prose and lines and lines[-1] and not lines[-1][0].isspace() and not lines[-1].startswith("|"):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def _test(t: TestResult, s: Style, width: int, here: str, folder: str) -> list[str]:
    lines = [f"  {s(t.name, 'bold')}", *wrap(t.message or "(no message)", width, "    ")]
    if t.location is not None:
        lines += [s(line, "dim") for line in wrap(f"at {where(t.location, here, folder)}", width, "    ")]
    if t.output:
        cut = f"\n[... {t.output_cut} more bytes of output cut]" if t.output_cut else ""
        lines += ["    Your code printed:", *wrap(t.output.rstrip() + cut, width, "      ")]
    return lines


def explain(r: ExerciseResult, voice: Voice, s: Style, every: bool = False, width: int = NO_WRAP,
            folder: str = "") -> list[str]:
    """Why `r` did not pass and what to do about it; `folder` is the graded folder's name."""
    ex = r.exercise
    lines: list[str] = []
    if shows_note(r):
        lines += [s(line, "yellow") for line in wrap(note(r), width, "  ")]
    if r.status == Status.NOT_STARTED:
        path = f"{folder}/{r.file}" if folder else r.file
        todo = ("Write your code in the cell under Your code, in place of the lines marked EXERCISE."
                if r.file == voice.here else f"Open {path}, read the docstring, and replace the stub with your code.")
        for text in (ex.concept, todo, f"Read: {', '.join(ex.docs)}."):
            lines += wrap(text, width, "  ")
    elif r.status == Status.FAIL and any(t.message == r.message for t in r.failing):  # not the audit's words
        failing = r.failing
        for t in failing if every else failing[:1]:
            lines += _test(t, s, width, voice.here, folder)
        if not every and len(failing) > 1 and voice.every:
            more = len(failing) - 1
            lines += [s(line, "dim") for line in wrap(
                f"({more} more failing test{'s' if more > 1 else ''} in this exercise: "
                f"{voice.every.format(number=ex.number, id=ex.id)})", width, "  ")]
    else:
        lines += wrap(r.message, width, "  ")
        if r.location is not None:
            lines += [s(line, "dim") for line in wrap(f"Look at {where(r.location, voice.here, folder)}.", width, "  ")]
    lines += ["    " + line for line in pictures(r, s, width - 4)]
    if voice.hint:
        lines += wrap(voice.hint.format(number=ex.number, id=ex.id), width, "  ")
    return lines


def status_line(r: ExerciseResult, s: Style, width: int, columns: int = NO_WRAP, mark: str = "") -> str:
    """One exercise on one line: status, id, name, points and title (cut to fit `columns`)."""
    ex = r.exercise
    status = f"{s.symbol(r.status)} {LABELS[r.status]:<11}"
    line = f"  {status}  {ex.id} {ex.name:<{width}}  {points(r.score):>2}/{points(ex.points)}  "
    room = columns - len(line) - len(mark)
    title = ex.title if len(ex.title) <= room else ex.title[:max(0, room - 3)].rstrip() + "..."
    return line.replace(status, s(status, COLORS[r.status])) + s(title, "dim") + mark


def chapter_lines(run: RunResult, s: Style, current: ExerciseResult | None = None,
                  columns: int = NO_WRAP) -> list[str]:
    """Progress per chapter, then one line per exercise; `current` is marked."""
    width = max((len(r.exercise.name) for r in run.exercises), default=10)
    lines = []
    for chapter, results in run.chapters():
        done = sum(r.passed for r in results)
        got = sum(r.score for r in results)
        top = sum(r.exercise.points for r in results)
        lines += [s(chapter.title, "bold"),
                  f"{s.bar(done, len(results))} {done}/{len(results)} exercises · {points(got)}/{points(top)} points"]
        for r in results:
            mark = "  <- now" if current is not None and r.exercise == current.exercise else ""
            lines.append(status_line(r, s, width, columns, mark))
            if r.passed:  # a failing exercise shows its curves with the details of its failure
                lines += [" " * 17 + line for line in loss_curves(r, s)]
        lines.append("")
    return lines
