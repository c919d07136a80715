"""`python grader.py check [EXERCISE ...]`: grade, report, optionally write JSON."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from .. import UsageError
from .common import add_exercise_selection, add_grading_options, fallback_note, select_exercises, writable


def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="grade exercises (all of them by default)",
                       description="Grade the named exercises, or all of them, in order.")
    add_exercise_selection(p)
    add_grading_options(p, target_help="what to grade: exercises (default), solutions, a folder laid out like "
                                       "exercises/, one chapter's folder, a notebook or a folder of notebooks")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON to PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="show every failure in full")


def grade_from_args(args: argparse.Namespace):
    """Resolve the target, choose the exercises and grade them; shared by check and list."""
    from ..grading.engine import grade
    from ..grading.target import exercises_of, folder_target, resolve
    from ..notebooks.convert import is_notebook_target, notebook_target

    path = resolve(args.target)
    chosen = select_exercises(args.exercises, args.chapter)
    if is_notebook_target(path):
        with notebook_target(path, chosen) as (target, exercises):
            return grade([target], exercises, timeout=args.timeout, isolation=args.isolation)[0]
    if not path.is_dir():
        raise UsageError(f"target '{args.target}' is not a folder or a notebook: give exercises, solutions, "
                         "a folder laid out like exercises/, a notebook or a folder of notebooks")
    target = folder_target(path)
    return grade([target], exercises_of(target, chosen), timeout=args.timeout, isolation=args.isolation)[0]


def graded_folder(target: str) -> Path | None:
    """The folder whose files were graded; None for a notebook."""
    from ..grading.target import resolve

    path = resolve(target)
    return path if path.is_dir() else None


def run(args: argparse.Namespace) -> int:
    json_path = writable(args.json, "JSON") if args.json else None
    result = grade_from_args(args)

    from ..feedback.json_report import run_json
    from ..feedback.milestones import closings_due
    from ..feedback.report import render
    from ..feedback.style import Style
    from ..files import write_json

    note = fallback_note(args.verbose)
    if note:
        print(note)
    width = min(100, shutil.get_terminal_size((100, 24)).columns)
    closings = closings_due(result, graded_folder(args.target))
    sys.stdout.write(render(result, Style(), verbose=args.verbose, width=width, closings=closings))
    sys.stdout.flush()
    if json_path is not None:
        try:
            write_json(json_path, run_json(result))
        except OSError as e:
            raise UsageError(f"cannot write JSON to '{args.json}': {e.strerror or e}") from None
    return 0 if result.passed else 1
