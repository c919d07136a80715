"""The feedback of a notebook's check cell: the grader's verdict on one exercise, worded for Jupyter."""

from __future__ import annotations

from ..catalogue.course import course
from ..grading.results import RunResult
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
        lines.append(f"  Well done! Next: exercise {later.id}, in {later.stem}.ipynb." if later
                     else f"  Well done! That was the last exercise of chapter {ex.chapter}.")
    else:
        lines += explain(r, voice, s, every=verbose, width=WIDTH)
    note = changed_note(run)
    if note:
        lines += [s(line, "yellow") for line in wrap(f"Note: {note}", WIDTH)]
    return "\n".join(lines)
