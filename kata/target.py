"""What to grade: the folder named on the command line, found relative to where the
learner is, or to the kata itself (so `--target solutions` works from anywhere)."""

from __future__ import annotations

from pathlib import Path

from . import ROOT


class UsageError(Exception):
    """A bad command line: reported in one line on stderr, exit status 2."""


def resolve(name: str) -> Path:
    """The folder (or file) `name` refers to; UsageError if there is none."""
    given = Path(name).expanduser()
    for candidate in (given, ROOT / given):
        if candidate.exists():
            return candidate.resolve()
    raise UsageError(
        f"target '{name}' does not exist: give exercises, solutions, or a folder laid out like exercises/"
    )


def display_name(path: Path) -> str:
    """How the target appears in messages: relative to the current folder when it can be."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
