"""The grader of the PyTorch kata: a course of chapters of exercises, graded by their tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
__version__ = "2.0.0"


class UsageError(Exception):
    """A bad command line: reported in one line on stderr, exit status 2."""
