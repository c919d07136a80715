"""What several commands share: choosing exercises and chapters, the grading options, where output goes."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from .. import UsageError
from ..catalogue.course import Chapter, Exercise, course
from ..grading import runner
from ..grading.runner import DEFAULT_TIMEOUT
from ..grading.target import resolve


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got '{text}'") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got '{text}'")
    return value


def add_chapter_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--chapter", action="append", metavar="N",
                   help="only chapter N (its number, or its folder such as ch1_autograd); may be repeated")


def add_exercise_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("exercises", nargs="*", metavar="EXERCISE",
                   help="an exercise's number (3 or 03) or name (mse_loss); all of them by default")
    add_chapter_option(p)


def add_run_options(p: argparse.ArgumentParser, isolation: bool = True) -> None:
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per exercise, in seconds of CPU time: the work its code does, so a busy "
                        f"machine does not shorten it (default {DEFAULT_TIMEOUT:g}); code that waits instead of "
                        "working is stopped after twice as many seconds on the clock, plus 5")
    if isolation:
        p.add_argument("--isolation", choices=("fork", "spawn"), default=None,
                       help="fork the warm grader for each exercise (the default where the system "
                            "can fork) or start a fresh Python for each (slower)")


def add_grading_options(p: argparse.ArgumentParser, target_help: str = "what to grade: exercises (default), "
                        "solutions, a folder laid out like exercises/, or one chapter's folder") -> None:
    p.add_argument("--target", default="exercises", metavar="PATH", help=target_help)
    add_run_options(p)


def fallback_note(verbose: bool) -> str:
    """With --verbose, where the system cannot fork: why grading takes seconds."""
    if verbose and not runner.CAN_FORK:
        return "Note: this system cannot fork, so every exercise runs in a fresh Python (slower)."
    return ""


def chapters(keys: list[str] | None) -> list[Chapter]:
    """The chapters named by number or folder, in course order; all of them for none."""
    if not keys:
        return list(course().chapters)
    chosen = []
    for key in keys:
        found = next((c for c in course().chapters if key.strip() in (str(c.number), c.folder)), None)
        if found is None:
            valid = ", ".join(f"{c.number} ({c.folder})" for c in course().chapters)
            raise UsageError(f"unknown chapter '{key}': the chapters are {valid}")
        chosen.append(found)
    return [c for c in course().chapters if c in chosen]


def select_exercises(keys: list[str], chapter_keys: list[str] | None = None) -> list[Exercise]:
    """The exercises named by number or name, in course order, within the chosen chapters;
    every exercise of those chapters for none."""
    allowed = [ex for c in chapters(chapter_keys) for ex in c.exercises]
    if not keys:
        return allowed
    chosen = []
    for key in keys:
        ex = course().find(key)
        if ex is None:
            raise UsageError(course().unknown(key))
        if ex not in allowed:
            raise UsageError(f"exercise {ex.label} is in chapter {ex.chapter}, not in the chapters asked for")
        if ex not in chosen:
            chosen.append(ex)
    return sorted(chosen, key=lambda e: e.number)


def target_folder(text: str, advice: str) -> Path:
    """The folder that `--target text` names; UsageError, with `advice`, when it is not a folder."""
    path = resolve(text)
    if not path.is_dir():
        raise UsageError(f"target '{text}' is not a folder: {advice}")
    return path


def writable(text: str, what: str, folder: bool = False) -> Path:
    """Where a command is to write its file, or with `folder` its new folder (missing or empty:
    nothing already there is ever changed); UsageError if it cannot, before any work is done."""
    path = Path(text).expanduser().absolute()
    if folder and path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UsageError(f"'{text}' already exists and is not empty: give a new folder for {what}")
    if not folder and path.is_dir():
        raise UsageError(f"cannot write {what} to '{text}': it is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {what} to '{text}': the folder '{path.parent}' does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {what} to '{text}': permission denied")
    try:  # the only sure test: make a file there (permissions alone do not tell, e.g. for root)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}."):
            pass
    except OSError as e:
        raise UsageError(f"cannot write {what} to '{text}': {e.strerror or e}") from None
    return path


def output_folder(text: str, what: str) -> Path:
    """The folder `text`, made if needed; UsageError when it cannot be."""
    out = Path(text).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"cannot write {what} to '{text}': it is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write {what} to '{text}': {e.strerror}") from None
    if not os.access(out, os.W_OK):
        raise UsageError(f"cannot write {what} to '{text}': permission denied")
    return out.resolve()
