"""`python grader.py grade SUBMISSION... --out DIR`: grade many submissions in one batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..runner import DEFAULT_TIMEOUT
from ..target import UsageError
from .common import positive_seconds

NAME = "grade"
ORDER = 70


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="grade a batch of submissions (instructors)",
        description="Grade every SUBMISSION (a folder laid out like exercises/, a notebook, a "
                    "folder of notebooks, or a .zip file of any of them) with this kata's own "
                    "tests, several at once. Only the submission's exercise files are graded. "
                    "Writes DIR/grades.csv and, for each submission, DIR/<submission>/ with "
                    "results.json (Gradescope's format), report.txt and report.json.",
    )
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    p.add_argument("--out", required=True, metavar="DIR", help="where to write the results")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per exercise (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--isolation", choices=("fork", "spawn"), default=None, help=argparse.SUPPRESS)


def _sources(given: list[str]) -> list[Path]:
    paths = []
    for text in given:
        path = Path(text).expanduser()
        if not path.exists():
            raise UsageError(f"submission '{text}' does not exist: give folders, notebooks or .zip files")
        paths.append(path.resolve())
    return paths


def _out_folder(text: str) -> Path:
    out = Path(text).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot write results to '{text}': it is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write results to '{text}': {e.strerror}") from None
    return out.resolve()


def run(args: argparse.Namespace) -> int:
    sources = _sources(args.submissions)
    out = _out_folder(args.out)

    from ..course.batch import grade_batch

    graded = grade_batch(sources, out, timeout=args.timeout, isolation=args.isolation,
                         progress=sys.stdout.isatty())
    unread = [sub.name for sub, _ in graded if not sub.readable]
    plural = "s" if len(graded) != 1 else ""
    print(f"Graded {len(graded)} submission{plural}: {out / 'grades.csv'}")
    if unread:
        print(f"Nothing to grade was found in: {', '.join(unread)} (see their results.json).")
    sys.stdout.flush()
    return 0
