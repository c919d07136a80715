"""The report of a run in the terminal: progress per chapter, one line per exercise, then
the first exercise of the course that does not pass and what to do about it."""

from __future__ import annotations

from collections.abc import Sequence

from ..catalogue.course import Chapter, course
from ..grading.results import RunResult
from ..outcomes import Status
from .milestones import complete, next_exercise
from .pictures import boundary_picture, digits_picture
from .render import LABELS, TERMINAL, chapter_lines, explain, reflow, wrap
from .style import Style


def changed_note(run: RunResult) -> str:
    """A sentence about files of the kata that differ from its manifest; empty if none."""
    if not run.changed_files:
        return ""
    return ("These files differ from the kata's originals (kata/manifest.json), so this result may "
            "differ from an official grade: " + ", ".join(run.changed_files) + ".")


def closing_lines(chapters: Sequence[Chapter], s: Style, width: int) -> list[str]:
    """Each chapter's closing text, under a line that says it is complete."""
    lines = []
    for chapter in chapters:
        lines += ["", s(f"Chapter {chapter.number} complete: every exercise passes. Well done!", "bold", "green"), "",
                  *wrap(reflow(chapter.finished), width)]
    return lines


def finished_lines(run: RunResult, s: Style, width: int, closings: Sequence[Chapter] = ()) -> list[str]:
    """What to say when everything graded passes: the closing text of each chapter finished in
    the run or now due, and the next exercise of the course, if there is one."""
    finished = [c for c in course().chapters if c in complete(run) or c in closings]
    lines = closing_lines(finished, s, width) or ["", s("Every exercise you asked for passes.", "green")]
    ex = next_exercise(run)
    if ex is not None:
        target = "" if run.target == "exercises" else f" --target {run.target}"
        lines += ["", s(f"Next: exercise {ex.id}, {ex.name} ({ex.title}) in {run.target}/{ex.path}", "bold", "cyan"),
                  *wrap(f"Check it with `python grader.py check {ex.number}{target}`.", width, "  ")]
    return lines


def render(run: RunResult, style: Style, verbose: bool = False, width: int = 100,
           closings: Sequence[Chapter] = ()) -> str:
    """The report; `closings` are the chapters whose closing text is due (milestones.closings_due)."""
    lines = chapter_lines(run, style)
    if run.changed_files:
        lines += [style(line, "yellow") for line in wrap(f"Note: {changed_note(run)}", width)] + [""]
    if verbose:
        for r in run.exercises:
            if r.status == Status.NOT_STARTED:  # nothing to read yet: one line is enough
                lines.append(f"{r.exercise.id} {r.exercise.name}: {LABELS[r.status]} ({run.target}/{r.file})")
            elif not r.passed:
                lines += [""] if lines[-1] else []
                lines += [style(f"{r.exercise.id} {r.exercise.name}: {LABELS[r.status]}", "bold"),
                          *explain(r, TERMINAL, style, every=True, width=width, folder=run.target), ""]
        lines += [""] if lines[-1] else []
    rewards = ((boundary_picture, "your network's decision boundary, beside a correct one"),
               (digits_picture, "what your network reads right, and a few digits it misreads"))
    for r in run.exercises:  # a reward: what the network that passes does, drawn
        for draw, caption in rewards if r.passed else ():
            drawn = draw(r, style, width - 4)
            if drawn:
                lines += [style(f"Exercise {r.exercise.id} passes: {caption}", "bold", "green"),
                          *(("    " + line).rstrip() for line in drawn)]
    first = next((r for r in run.exercises if not r.passed), None)
    if first is not None:
        lines += closing_lines(closings, style, width)[1:] + [""] if closings else []
        lines += [""] if lines[-1] else []
        ex = first.exercise
        lines.append(style(f"Next: exercise {ex.id}, {ex.name} ({ex.title}) in {run.target}/{first.file}", "bold", "cyan"))
        lines += explain(first, TERMINAL, style, every=False, width=width, folder=run.target) if not verbose else \
            [line for line in wrap(TERMINAL.hint.format(number=ex.number, id=ex.id), width, "  ")]
    elif run.exercises:
        lines += finished_lines(run, style, width, closings)
    return "\n".join(lines).rstrip("\n") + "\n"
