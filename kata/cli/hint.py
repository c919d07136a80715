"""`python grader.py hint EXERCISE [N]`: the next hint, one more each time, or hint N again."""

from __future__ import annotations

import argparse
import sys

from .. import ROOT
from ..catalogue.hints import hint, hint_lines
from .common import select_exercises


def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="the next hint for an exercise (or an earlier one again)",
                       description="Show the next hint for EXERCISE; ask again for the next one. With N, "
                                   "show hint N again (a hint you have already seen).")
    p.add_argument("exercise", metavar="EXERCISE", help="the exercise's number (3 or 03) or name")
    p.add_argument("again", nargs="?", type=int, metavar="N", help="read hint N again")


def run(args: argparse.Namespace) -> int:
    ex = select_exercises([args.exercise])[0]
    number, text = hint(ex, args.again)
    lines = hint_lines(ex, number, text) + [""]
    if number < len(ex.hints):
        lines.append(f"Run `python grader.py hint {ex.number}` again for the next one.")
    else:
        lines.append("That was the last hint.")
        if (ROOT / "solutions" / ex.path).exists():
            lines.append(f"The reference answer is in solutions/{ex.path}, once you want to compare.")
    if number > 1:
        lines.append(f"Read an earlier one again with `python grader.py hint {ex.number} N`, N from 1 to {number}.")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
