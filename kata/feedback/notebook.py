"""The feedback of a notebook's cells, worded for Jupyter: the grader's verdict on one exercise
(the check cell), and how a Try-it cell's code ended."""

from __future__ import annotations

from collections.abc import Callable

from ..catalogue.course import course
from ..grading.results import RunResult
from ..grading.runner import Outcome
from ..grading.verdict import ending
from ..outcomes import Ended, Location, TestStatus
from .render import COLORS, LABELS, Voice, explain, points, wrap
from .report import changed_note
from .style import Style

WIDTH = 88  # Jupyter shows output in a fixed-width font; longer lines wrap at words here


def check_text(run: RunResult, s: Style, notebook: str, verbose: bool = False) -> str:
    """The verdict on the run's one exercise, for the notebook `notebook` that asked for it."""
    r = run.exercises[0]
    ex = r.exercise
    voice = Voice(f'Stuck? kata.hint("{ex.id}") gives a hint.',
                  f'kata.check("{ex.id}", verbose=True) shows every one', here=notebook)
    head = f"{s.symbol(r.status)} Exercise {ex.id} ({ex.name}): {LABELS[r.status]}, {points(r.score)}/{points(ex.points)} points"
    lines = [s(head, "bold", COLORS[r.status])]
    if r.passed:
        later = next((e for e in course().exercises if e.number > ex.number and e.chapter == ex.chapter), None)
        lines += explain(r, Voice(), s, width=WIDTH)
        lines += wrap(f"Well done! Next: exercise {later.id}, in {later.stem}.ipynb." if later
                      else f"Well done! That was the last exercise of chapter {ex.chapter}.", WIDTH, "  ")
    else:
        lines += explain(r, voice, s, every=verbose, width=WIDTH)
    note = changed_note(run)
    if note:
        lines += [s(line, "yellow") for line in wrap(f"Note: {note}", WIDTH)]
    return "\n".join(lines)


def try_text(outcome: Outcome, output: str, place: Callable[[Location], str], s: Style) -> str:
    """What a Try-it cell shows: what its code printed and, when it did not end normally, why;
    `place` names a line of the learner's code as the notebook shows it."""
    record = outcome.records[0] if outcome.records else None
    lines = [output.rstrip("\n")] if output.strip() else []
    cut = (record.properties or {}).get("printed", 0) - len(output) if record else 0
    if cut > 0:
        lines.append(s(f"[... {cut} more characters of output cut]", "dim"))
    if outcome.ended != Ended.DONE or record is None:
        problem, at = ending(outcome, "this cell"), outcome.where
        problem = problem[:1].upper() + problem[1:]
    elif record.status != TestStatus.PASS:
        problem, at = record.message, record.location
    else:
        return "\n".join(lines)
    lines += [s(line, "red") for line in wrap(problem, WIDTH)]
    if at is not None:
        lines += [s(line, "dim") for line in wrap(f"Look at {place(at)}.", WIDTH)]
    return "\n".join(lines)
