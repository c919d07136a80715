"""`python grader.py grade SUBMISSION... --out DIR`: grade many submissions in one batch."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ..meta import chapter
from ..target import UsageError
from .common import positive_seconds, write_json
from ..runner import DEFAULT_TIMEOUT


NAME = "grade"
ORDER = 70

def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="grade a batch of submissions (instructors)",
        description="Grade every SUBMISSION (a folder laid out like exercises/) with this "
                    "kata's own tests, several at once, and write DIR/grades.csv and one "
                    "DIR/<submission>/ folder of results each.",
    )
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    p.add_argument("--out", required=True, metavar="DIR", help="where to write the results")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per exercise (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--isolation", choices=("fork", "spawn"), default=None, help=argparse.SUPPRESS)


def _names(paths: list[Path]) -> list[str]:
    names, seen = [], {}
    for p in paths:
        base = p.stem if p.is_file() else p.name
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return names


def run(args: argparse.Namespace) -> int:
    paths = []
    for s in args.submissions:
        p = Path(s).expanduser()
        if not p.exists():
            raise UsageError(f"submission '{s}' does not exist: give folders laid out like exercises/")
        paths.append(p.resolve())
    out = Path(args.out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write results to '{args.out}': {e.strerror}") from None

    from ..engine import grade

    exercises = list(chapter().exercises)
    results = grade(paths, exercises, timeout=args.timeout, isolation=args.isolation)
    names = _names(paths)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *[e.id for e in exercises], "total", "max"])
        for name, result in zip(names, results):
            writer.writerow([name, *[f"{r.score:g}" for r in result.exercises],
                             f"{result.score:g}", f"{result.max_score:g}"])
            folder = out / name
            folder.mkdir(exist_ok=True)
            write_json(folder / "report.json", result.to_json())
    print(f"Graded {len(results)} submission{'s' if len(results) != 1 else ''}: {out / 'grades.csv'}")
    sys.stdout.flush()
    return 0
