"""One pytest session for the grader's whole run: it imports and collects the tests once, in the
grader's own process (no learner code runs there), and the grader works inside it."""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .. import ROOT, pytest_internals
from ..catalogue.course import Exercise, course
from ..course.hidden import hidden_names
from ..exercise_process import guard
from ..exercise_process.run import RECORDER

T = TypeVar("T")

# Hidden tests are checks the learner's code must never share a process with.
HIDDEN_IN_TESTS = ("tests/{} marks a test @pytest.mark.hidden. Hidden tests would share a process with the "
                   "learner's code; write them as hidden checks in tests/{}/hidden_checks.py instead "
                   "(README.md, 'Hidden checks').")

TESTS = ROOT / "tests"

# Plugins the grader has no use for; some are slow (unraisableexception collects
# garbage twice per session), others would print or write files.
UNUSED_PLUGINS = [
    "cacheprovider", "unraisableexception", "threadexception", "warnings", "terminal",
    "faulthandler", "logging", "junitxml", "doctest", "pastebin", "stepwise", "lfplugin",
    "nfplugin", "legacypath", "capture", "tmpdir", "setuponly", "setupplan",
]


@dataclass
class Collection:
    """The tests, collected once: each exercise's items in file order, and why a file did not load."""

    items: dict[str, list] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def for_exercise(self, ex: Exercise) -> list:
        return self.items.get(ex.id, [])


class _Session:
    def __init__(self, body: Callable[[Collection], T], tests_dir: Path):
        self.body = body
        self.tests_dir = tests_dir
        self.collection = Collection()
        self.result: T | None = None
        self.error: BaseException | None = None
        self.ran = False

    def pytest_collectreport(self, report):
        if report.failed:
            # fspath is relative to the rootdir, the tests' folder (see run_session), not to the cwd.
            ex = _exercise_of(self.tests_dir / str(report.fspath), self.tests_dir)
            if ex is not None:
                self.collection.errors[ex.id] = str(report.longrepr)

    def pytest_runtestloop(self, session):
        for item in session.items:
            ex = _exercise_of(item.path, self.tests_dir)
            if ex is not None:
                self.collection.items.setdefault(ex.id, []).append(item)
        _ready_to_fork(session)
        self.ran = True
        try:
            self.result = self.body(self.collection)
        except BaseException as exc:  # re-raised by run_session, outside pytest
            self.error = exc
        return True


def _ready_to_fork(session) -> None:
    """Make the many forks that follow cheap. A fork copies every memory page it writes to, and
    the garbage collector writes to every object it examines: the objects made so far are frozen
    out of its reach. The runtime guards are installed, and the namespaces that the tripwire
    watches found, once, here. pytest keeps one line of a failure instead of formatting a long
    traceback that the grader never shows."""
    guard.install_runtime_guards()
    guard.watched_namespaces()
    gc.freeze()
    pytest_internals.one_line_failures(session)
    for item in session.items:
        item.location  # computed once here (pytest keeps it), not in every fork that reports


def _exercise_of(path: Path, tests_dir: Path) -> Exercise | None:
    try:
        relative = path.resolve().relative_to(tests_dir.resolve()).as_posix()
    except ValueError:
        return None
    return next((e for e in course().exercises if e.test_path == relative), None)


def _marks_hidden(path: Path) -> bool:
    try:
        return bool(hidden_names(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, ValueError):
        return False  # pytest reports the file that does not load


def run_session(body: Callable[[Collection], T], tests_dir: Path, exercises: list[Exercise]) -> T:
    """Collect the tests of `exercises` once, then return body(collection), run inside the session."""
    import pytest

    state = _Session(body, tests_dir)
    paths = []
    for ex in exercises:
        path = tests_dir / ex.test_path
        if path.is_file() and _marks_hidden(path):  # never imported: forks would hold it
            state.collection.errors[ex.id] = HIDDEN_IN_TESTS.format(ex.test_path, ex.folder)
        elif path.is_file():
            paths.append(str(path))
    if not paths:  # pytest would collect the current folder instead
        return body(state.collection)
    # The grader decides which plugins load, not the environment.
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    args = [*paths, "-c", str(Path(__file__).with_name("pytest.ini")), "--rootdir", str(tests_dir),
            "--confcutdir", str(tests_dir), "--continue-on-collection-errors",
            *pytest_internals.CHECK_PLUGIN_ARGS, *(arg for plugin in UNUSED_PLUGINS for arg in ("-p", f"no:{plugin}"))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = pytest.main(args, plugins=[state, RECORDER])
    if state.error is not None:
        raise state.error
    if not state.ran and code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt  # Ctrl-C during collection, which pytest caught
    return state.result
