"""`python grader.py list`: every exercise with its status and points, chapter by chapter.
It exits 0 whenever it could list them: passing is what `check` reports."""

from __future__ import annotations

import argparse
import sys

from .check import grade_from_args
from .common import add_chapter_option, add_grading_options


def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="every exercise with its status and points")
    add_chapter_option(p)
    add_grading_options(p)


def run(args: argparse.Namespace) -> int:
    from ..feedback.render import chapter_lines
    from ..feedback.style import Style

    args.exercises = []
    result = grade_from_args(args)
    sys.stdout.write("\n".join(chapter_lines(result, Style())).rstrip("\n") + "\n")
    return 0  # the listing itself succeeded, whatever it shows
