"""`python grader.py list`: every exercise with its status and points."""

from __future__ import annotations

import argparse
import sys

from .check import grade_from_args
from .common import add_grading_options, select_exercises


NAME = "list"
ORDER = 20

def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="every exercise with its status and points")
    add_grading_options(p)


def run(args: argparse.Namespace) -> int:
    from ..report import render_list
    from ..style import Style

    result = grade_from_args(args, select_exercises([]))
    sys.stdout.write(render_list(result, Style()))
    return 0 if result.passed else 1
