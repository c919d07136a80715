"""`python grader.py reset EXERCISE`: start an exercise again from its stub.

The learner's current file is copied to .kata-backups/ first, so nothing is ever lost.
This is the only command that writes to a learner's file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .. import ROOT
from ..backup import FOLDER, backup
from ..meta import Exercise
from ..stubs import pristine_stub
from ..target import UsageError, display_name, resolve
from .common import select_exercises

NAME = "reset"
ORDER = 40
BACKUPS = ROOT / FOLDER


def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="restore an exercise's stub (your file is kept in .kata-backups/)",
                       description="Put the untouched stub of EXERCISE back, after copying your "
                                   "current file to .kata-backups/. Asks first on a terminal.")
    p.add_argument("exercise", metavar="EXERCISE", help="the exercise's number (3 or 03) or name")
    p.add_argument("--target", default="exercises", metavar="PATH",
                   help="the folder that holds the exercise (default: exercises)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def _write(path: Path, text: str) -> None:
    """Replace the file at once: an interrupted reset never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _folder(text: str) -> Path:
    folder = resolve(text)
    if not folder.is_dir():
        raise UsageError(f"target '{text}' is not a folder: give exercises or a folder laid out like exercises/")
    if folder == (ROOT / "solutions").resolve():
        raise UsageError("reset restores exercises to their stubs; it never changes solutions/: "
                         "give exercises or a folder laid out like exercises/")
    return folder


def _confirmed(ex: Exercise, shown: str) -> bool:
    try:
        answer = input(f"Replace {shown} with the original stub of exercise {ex.id} ({ex.name})? "
                       "Your current file is kept in .kata-backups/. [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    ex = select_exercises([args.exercise])[0]
    folder = _folder(args.target)
    path = folder / ex.file
    shown = f"{display_name(folder)}/{ex.file}"
    stub = pristine_stub(ex)
    if path.is_file() and path.read_bytes() == stub.encode("utf-8"):
        print(f"{shown} is already the untouched stub of exercise {ex.id}; nothing to do.")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            where = "" if args.target == "exercises" else f" --target {args.target}"
            raise UsageError(f"reset asks before it replaces {shown}, and there is no terminal to "
                             f"ask on: add --yes (`python grader.py reset {ex.number}{where} --yes`)")
        if not _confirmed(ex, shown):
            print("Nothing changed.")
            return 1
    kept = None
    if path.exists():
        try:
            kept = backup(path, BACKUPS)
        except OSError as e:
            raise UsageError(f"cannot keep a copy of {shown} in {BACKUPS} ({e.strerror or e}), so "
                             "nothing was changed") from None
    try:
        _write(path, stub)
    except OSError as e:
        raise UsageError(f"cannot write {shown} ({e.strerror or e}); nothing was changed") from None
    print(f"Exercise {ex.id} ({ex.name}) is back to its original stub in {shown}.")
    if kept is not None:
        print(f"Your previous file is kept in {display_name(kept)}.")
    return 0
