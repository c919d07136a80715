"""`python grader.py check [EXERCISE ...]`: grade, report, optionally write JSON."""

from __future__ import annotations

import argparse
import sys

from ..target import UsageError, display_name, resolve
from .common import add_grading_options, fallback_note, select_exercises, writable_file, write_json


NAME = "check"
ORDER = 10

def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="grade exercises (all of them by default)",
                       description="Grade the named exercises, or all of them, in order.")
    p.add_argument("exercises", nargs="*", metavar="EXERCISE",
                   help="an exercise's number (3 or 03) or name (mse_loss)")
    add_grading_options(p, target_help="what to grade: exercises (default), solutions, a folder "
                                       "laid out like exercises/, a notebook or a folder of notebooks")
    p.add_argument("--json", metavar="PATH", help="also write the result as JSON to PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="show every failure in full")


def grade_from_args(args: argparse.Namespace, exercises):
    """Resolve the target and grade it; shared by check and list."""
    target = resolve(args.target)
    from .. import manifest, notebook_target
    from ..engine import grade_once

    if notebook_target.is_notebook_target(target):
        run = notebook_target.grade(target, exercises, timeout=args.timeout, isolation=args.isolation)
    elif not target.is_dir():
        raise UsageError(f"target '{args.target}' is not a folder or a notebook: give exercises, "
                         "solutions, a folder laid out like exercises/, a notebook or a folder of notebooks")
    else:
        run = grade_once(target, exercises, timeout=args.timeout, isolation=args.isolation)
        run.target = display_name(target)
    run.changed_files = manifest.changed_files()
    return run


def run(args: argparse.Namespace) -> int:
    exercises = select_exercises(args.exercises)
    json_path = writable_file(args.json) if args.json else None
    result = grade_from_args(args, exercises)

    from ..report import render
    from ..style import Style

    note = fallback_note(args.verbose)
    if note:
        print(note)
    sys.stdout.write(render(result, target_name=result.target, style=Style(), verbose=args.verbose))
    sys.stdout.flush()
    if json_path is not None:
        write_json(json_path, result.to_json())
    return 0 if result.passed else 1
