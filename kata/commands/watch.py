"""`python grader.py watch`: the current exercise, checked again every time you save."""

from __future__ import annotations

import argparse

from ..target import UsageError, display_name, resolve
from .common import add_grading_options, fallback_note

NAME = "watch"
ORDER = 15


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="check the current exercise again every time you save",
        description="Show the first exercise that does not pass yet, check it again every time a "
                    "file in the target folder is saved, and move on when it passes. Keys: h next "
                    "hint, l list, n next exercise, r re-run, q quit (Ctrl-C works too).",
    )
    add_grading_options(p)
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show every failing test in full, and how exercises are run")


def run(args: argparse.Namespace) -> int:
    folder = resolve(args.target)
    if not folder.is_dir():
        raise UsageError(f"target '{args.target}' is not a folder: watch mode follows a folder laid out "
                         "like exercises/ (a notebook checks itself in its check cells)")
    from ..engine import in_session
    from ..watch import watch

    note = fallback_note(args.verbose)
    return in_session(
        lambda collection, runner: watch(collection, runner, folder, display_name(folder),
                                         verbose=args.verbose, note=note),
        timeout=args.timeout, isolation=args.isolation,
    )
