"""Milestones on the learner's path: a chapter's closing text the moment the chapter is
complete, once, even while later chapters are still to do; and the next exercise after a
check that passes.

A learner checks one exercise at a time (`check 9`), so a chapter is complete when every
exercise of it passes now or passed before with its file unchanged since. The state file,
beside the hints, keeps for each graded folder the exercises that passed (with a digest of
their file) and the chapters whose closing text was shown; losing it only shows a closing
text once more, or later.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

from ..catalogue.course import Chapter, Exercise, course
from ..catalogue.hints import STATE
from ..files import read_json, write_json
from ..grading.results import RunResult


def complete(run: RunResult) -> list[Chapter]:
    """The chapters whose every exercise was graded in `run` and passes."""
    return [chapter for chapter, results in run.chapters()
            if len(results) == len(chapter.exercises) and all(r.passed for r in results)]


def _digest(folder: Path | None, ex: Exercise) -> str | None:
    """A digest of the exercise's file in `folder` (laid out like exercises/, or one chapter's folder)."""
    if folder is None:
        return None
    path = folder / ex.path if (folder / ex.folder).is_dir() else folder / ex.file
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _section(data: dict, key: str, target: str) -> dict | list | None:
    part = data.get(key)
    return part.get(target) if isinstance(part, dict) else None


def closings_due(run: RunResult, folder: Path | None, path: Path = STATE) -> list[Chapter]:
    """The chapters complete now whose closing text was not shown before for this folder;
    from now on they count as shown. `folder` is where the graded files are (None for a
    notebook: then only what `run` graded counts)."""
    data = read_json(path)
    data = data if isinstance(data, dict) else {}
    before = _section(data, "passed", run.target)
    passed = dict(before) if isinstance(before, dict) else {}
    for r in run.exercises:
        digest = _digest(folder, r.exercise) if r.passed else None
        if digest:
            passed[r.exercise.id] = digest
        else:
            passed.pop(r.exercise.id, None)
    graded = {r.exercise.id: r.passed for r in run.exercises}

    def passes(ex: Exercise) -> bool:
        if ex.id in graded:
            return graded[ex.id]
        digest = _digest(folder, ex)
        return digest is not None and passed.get(ex.id) == digest

    shown = _section(data, "closed", run.target)
    shown = list(shown) if isinstance(shown, list) else []
    due = [chapter for chapter in course().chapters
           if chapter.number not in shown and any(ex.id in graded for ex in chapter.exercises)
           and all(map(passes, chapter.exercises))]
    if passed == (before or {}) and not due:
        return due  # nothing new to remember
    for key in ("passed", "closed"):
        if not isinstance(data.get(key), dict):
            data[key] = {}
    data["passed"][run.target] = passed
    data["closed"][run.target] = sorted({*shown, *(c.number for c in due)})
    with contextlib.suppress(OSError):  # a read-only checkout goes without milestones that need memory
        write_json(path, data)
    return due


def next_exercise(run: RunResult) -> Exercise | None:
    """The exercise after the last one graded, in course order; None after the last of the course."""
    if not run.exercises:
        return None
    order = course().exercises
    last = max(order.index(r.exercise) for r in run.exercises)
    return order[last + 1] if last + 1 < len(order) else None
