"""Diagnosis pieces shared by the chapters' tests: runs that leave torch's random state as they found
it, runs with correct pieces that may fail quietly, and nn.Module's missing set-up recognised.

support.py holds the rest of the shared machinery: `diagnose` (the one known mistake that fits the
numbers) and `earlier_fault` (correct pieces put in place of the learner's to find whose fault a
failure is). Nothing here runs when it is imported.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

NO_SUPER = ("nn.Module's own set-up never ran: call super().__init__() first in __init__, before "
            "assigning any parameter or layer to self.")


def missing_super(exc: BaseException) -> bool:
    """Whether `exc` is what nn.Module raises when a subclass's __init__ skipped super().__init__()."""
    text = str(exc)
    return isinstance(exc, AttributeError) and (
        "Module.__init__" in text or re.search(r"has no attribute '_(parameters|buffers|modules|\w*hooks)", text)
        is not None)


def quietly(fn: Callable, *args):
    """fn(*args), or None if it raises: for probes and runs with correct pieces in place of the learner's,
    where an error only means that the learner's piece is not right."""
    try:
        return fn(*args)
    except Exception:
        return None


def without_global_rng(fn: Callable, *args):
    """fn(*args), with torch's global random state put back afterwards, whatever fn did to it."""
    with torch.random.fork_rng(devices=[]):
        return fn(*args)


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A temporary folder for the files a test writes, removed afterwards. Graded as another user, the
    learner's process cannot write to the grader's temporary directory; its current folder is its own."""
    base = None if os.access(tempfile.gettempdir(), os.W_OK) else os.getcwd()
    with tempfile.TemporaryDirectory(dir=base) as folder:
        yield Path(folder)
