"""`python grader.py watch`: the current exercise, checked again every time you save."""

from __future__ import annotations

import argparse

from ..grading.target import exercises_of, folder_target
from .common import add_chapter_option, add_grading_options, fallback_note, select_exercises, target_folder


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="check the current exercise again every time you save",
        description="Show the first exercise that does not pass yet, check it again every time a file in the target "
                    "folder is saved, and move on when it passes. Keys: h next hint, l list, n next exercise, r "
                    "re-run, q quit (Ctrl-C works too).",
    )
    add_chapter_option(p)
    add_grading_options(p)
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show every failing test in full, and how exercises are run")


def run(args: argparse.Namespace) -> int:
    folder = target_folder(args.target, "watch mode follows a folder laid out like exercises/ (a notebook "
                                        "checks itself in its check cells)")
    from ..grading.engine import in_session
    from ..watch.loop import watch

    target = folder_target(folder)
    exercises = exercises_of(target, select_exercises([], args.chapter))
    note = fallback_note(args.verbose)
    return in_session(lambda grader: watch(grader, target, exercises, verbose=args.verbose, note=note),
                      exercises, timeout=args.timeout, isolation=args.isolation)
