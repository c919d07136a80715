"""`python grader.py release OUT`: the student copy of the kata, without solutions."""

from __future__ import annotations

import argparse

from .common import add_chapter_option, chapters, writable


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="write the student copy of the kata (instructors)",
        description="Write the kata as students receive it to OUT (a new or empty folder): the exercise stubs, the "
                    "tests without the hidden checks (tests/<chapter>/hidden_checks.py), the grader, a README for students and the "
                    "GitHub Classroom workflow. No solutions. With --chapter, only those chapters: one assignment "
                    "per chapter.",
    )
    p.add_argument("out", metavar="OUT", help="a folder that does not exist yet, or is empty")
    add_chapter_option(p)


def run(args: argparse.Namespace) -> int:
    from ..course.release import build_release

    out = writable(args.out, "the release", folder=True)
    chosen = chapters(args.chapter)
    modules, hidden = build_release(out, chosen)
    left_out = f", {hidden} hidden check{'s' if hidden != 1 else ''} left out" if hidden else ""
    which = ", ".join(str(c.number) for c in chosen)
    print(f"Wrote the student release to {out}: chapter{'s' if len(chosen) > 1 else ''} {which}, "
          f"{sum(len(c.exercises) for c in chosen)} exercises, {modules} test modules{left_out}, no solutions.")
    print("Students start with `python -m pip install -e .` and `python grader.py` (see its README.md).")
    return 0
