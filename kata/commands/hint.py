"""`python grader.py hint EXERCISE`: the next hint, one more each time."""

from __future__ import annotations

import argparse
import sys

from .. import ROOT
from ..hints import next_hint, render_hint
from .common import select_exercises


NAME = "hint"
ORDER = 30

def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="the next hint for an exercise",
                       description="Show the next hint for EXERCISE; ask again for the next one.")
    p.add_argument("exercise", metavar="EXERCISE", help="the exercise's number (3 or 03) or name")


def run(args: argparse.Namespace) -> int:
    ex = select_exercises([args.exercise])[0]
    number, text = next_hint(ex)
    solutions = ROOT / "solutions"
    sys.stdout.write(render_hint(ex, number, text, solutions if solutions.is_dir() else None))
    return 0
