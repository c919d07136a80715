"""What several commands share: choosing exercises, the grading options, writing files."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from .. import runner
from ..meta import Exercise, chapter
from ..runner import DEFAULT_TIMEOUT
from ..target import UsageError


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got '{text}'") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got '{text}'")
    return value


def add_grading_options(p: argparse.ArgumentParser, target_help: str | None = None) -> None:
    p.add_argument("--target", default="exercises", metavar="PATH",
                   help=target_help or "what to grade: exercises (default), solutions, "
                                       "or a folder laid out like exercises/")
    p.add_argument("--timeout", type=positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"time limit per exercise (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--isolation", choices=("fork", "spawn"), default=None,
                   help="fork the warm grader for each exercise (the default where the system "
                        "can fork) or start a fresh Python for each (slower)")


def fallback_note(verbose: bool) -> str:
    """With --verbose, where the system cannot fork: why grading takes seconds."""
    if verbose and not runner.CAN_FORK:
        return "Note: this system cannot fork, so every exercise runs in a fresh Python (slower)."
    return ""


def select_exercises(keys: list[str]) -> list[Exercise]:
    """The exercises named by number or name, in chapter order; all of them for none."""
    if not keys:
        return list(chapter().exercises)
    chosen = []
    for key in keys:
        ex = chapter().find(key)
        if ex is None:
            raise UsageError(f"unknown exercise '{key}': valid exercises are {chapter().valid_names()}")
        if ex not in chosen:
            chosen.append(ex)
    return sorted(chosen, key=lambda e: e.number)


def writable_file(path_text: str, what: str = "JSON") -> Path:
    """`path_text` if a file can be written there; UsageError otherwise (checked before grading)."""
    path = Path(path_text).expanduser()
    parent = path.parent
    if path.is_dir():
        raise UsageError(f"cannot write {what} to '{path_text}': it is a folder; give a file name")
    if not parent.is_dir():
        raise UsageError(f"cannot write {what} to '{path_text}': the folder '{parent}' does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {what} to '{path_text}': permission denied")
    try:  # the only sure test: write a file there (permissions alone do not tell, e.g. for root)
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UsageError(f"cannot write {what} to '{path_text}': {e.strerror or e}") from None
    return path


def write_json(path: Path, data: dict) -> None:
    """Write atomically: a reader never sees half a file."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError(f"cannot write JSON to '{path}': {e.strerror or e}") from None
