"""`python grader.py notebooks`: one Jupyter notebook per exercise, made from the exercise files,
in a folder per chapter."""

from __future__ import annotations

import argparse
import sys

from ..grading.target import display_name, exercises_of, folder_target
from .common import add_exercise_selection, output_folder, select_exercises, target_folder

# How each action of generate() reads in the listing, where it is not the action's own name.
SAYS = {"refreshed": "updated", "unchanged": "up to date", "failed": "not made"}


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="make a Jupyter notebook for every exercise",
        description="Make one notebook per exercise from the exercise files: the lesson, your code cell and a check "
                    "cell. Notebooks you have changed are never overwritten unless you add --force, which first "
                    "keeps a backup.",
    )
    add_exercise_selection(p)
    p.add_argument("--target", default="exercises", metavar="PATH",
                   help="the exercise files to start from: exercises (default), solutions, "
                        "or a folder laid out like exercises/")
    p.add_argument("--out", default="notebooks", metavar="DIR",
                   help="where to write the notebooks (default: notebooks)")
    p.add_argument("--force", action="store_true",
                   help="also replace notebooks you have changed, after copying each to "
                        "DIR/.kata-backups/")


def run(args: argparse.Namespace) -> int:
    path = target_folder(args.target, "give exercises, solutions, or a folder laid out like exercises/")
    target = folder_target(path)
    exercises = exercises_of(target, select_exercises(args.exercises, args.chapter))
    out = output_folder(args.out, "notebooks")

    from ..notebooks.build import generate

    written = generate(target, out, exercises, force=args.force)
    shown = display_name(out)
    print(f"Notebooks in {shown}/, made from {target.name}/:")
    for w in written:
        detail = f"  ({w.detail})" if w.detail else ""
        print(f"  {SAYS.get(w.action, w.action):<11} {w.name}{detail}")
    if any(w.action == "kept" for w in written):
        print("Notebooks marked \"kept\" have your changes and were left as they are. To replace "
              "them with the new version, run this again with --force (each is copied to "
              f"{shown}/.kata-backups/ first).")
    first = next((w.name for w in written if w.action != "failed"), None)
    if first:
        print(f"Open them in Jupyter (JupyterLab, Notebook or VS Code), starting with {first}; "
              f"`python grader.py check --target {shown}` grades them all.")
    sys.stdout.flush()
    return 1 if any(w.action == "failed" for w in written) else 0
