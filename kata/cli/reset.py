"""`python grader.py reset EXERCISE...`: start exercises (or a whole chapter) again from their stubs.
Each current file is copied to .kata-backups/ first, so nothing is ever lost: this is the only
command that writes to a learner's file."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

from .. import ROOT, UsageError
from ..catalogue.course import Exercise, course
from ..catalogue.stubs import pristine_stub
from ..files import BACKUPS, backup, write_atomically
from ..grading.target import display_name
from .common import add_exercise_selection, select_exercises, target_folder


def register(sub, name: str) -> None:
    p = sub.add_parser(name, help="restore exercises' stubs (your files are kept in .kata-backups/)",
                       description="Put the untouched stub of each EXERCISE (or of every exercise of a chapter) "
                                   "back, after copying your current file to .kata-backups/. Asks first on a "
                                   "terminal.")
    add_exercise_selection(p)
    p.add_argument("--target", default="exercises", metavar="PATH",
                   help="the folder that holds the exercises (default: exercises)")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")


def copy_command(source: str, dest: str) -> str:
    """The shell's command that copies `source` over `dest`, on this system."""
    if os.name == "nt":
        return subprocess.list2cmdline(["copy", source, dest])
    return shlex.join(["cp", source, dest])


def _reset(ex: Exercise, path: Path, shown: str, backups: Path) -> None:
    kept = None
    if path.exists():
        try:
            kept = backup(path, backups)
        except OSError as e:
            raise UsageError(f"cannot keep a copy of {shown} in {backups} ({e.strerror or e}), so "
                             "it was not changed") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, pristine_stub(ex))
    except OSError as e:
        raise UsageError(f"cannot write {shown} ({e.strerror or e}); it was not changed") from None
    print(f"Exercise {ex.label} is back to its original stub in {shown}.")
    if kept is not None:
        print(f"Your previous file is kept in {display_name(kept)}. To bring it back, copy it over {shown}:")
        print(f"  {copy_command(display_name(kept), shown)}")


def run(args: argparse.Namespace) -> int:
    if not args.exercises and not args.chapter:
        raise UsageError("name the exercises to reset (`python grader.py reset 4`), or a chapter "
                         "(`python grader.py reset --chapter 1`)")
    root = target_folder(args.target, "give exercises or a folder laid out like exercises/")
    if root.is_relative_to((ROOT / "solutions").resolve()):
        raise UsageError("reset restores exercises to their stubs; it never changes solutions/: "
                         "give exercises or a folder laid out like exercises/")
    by_chapter = any((root / c.folder).is_dir() for c in course().chapters)  # laid out like exercises/
    todo = []
    for ex in select_exercises(args.exercises, args.chapter):
        path = root / ex.path if by_chapter else root / ex.file
        shown = display_name(path)
        if path.is_file() and path.read_bytes() == pristine_stub(ex).encode("utf-8"):
            print(f"{shown} is already the untouched stub of exercise {ex.id}; nothing to do.")
        else:
            todo.append((ex, path, shown))
    if not todo:
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            where = "" if args.target == "exercises" else f" --target {args.target}"
            names = " ".join(str(ex.number) for ex, _, _ in todo)
            raise UsageError(f"reset asks before it replaces {todo[0][2]}, and there is no terminal to ask on: "
                             f"add --yes (`python grader.py reset {names}{where} --yes`)")
        what = todo[0][2] if len(todo) == 1 else f"{len(todo)} files ({', '.join(shown for _, _, shown in todo)})"
        try:
            answer = input(f"Replace {what} with the original stub? Your current work is kept in {BACKUPS}/. [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing changed.")
            return 1
    for ex, path, shown in todo:
        _reset(ex, path, shown, ROOT / BACKUPS)
    return 0
