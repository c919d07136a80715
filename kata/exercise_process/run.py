"""What runs inside the process that grades one exercise.

The process (a fork of the warm grader, or a fresh Python where there is no fork) runs
the exercise's tests one by one and reports each through `send` as one event. It reports
a test only after the test has run to its end, so a process that dies, hangs or exits
early leaves its tests without a report, and the grader never counts those as passed.
What the learner's code prints goes to the grader through the process's standard output.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from ..catalogue.course import Exercise, course
from ..catalogue.stubs import still_raises
from ..outcomes import (END_OF_TEST, Done, Event, Exited, Kind, Location, Start, Stopped, TestRecord, Tested, TestStatus,
                        encode)
from ..pytest_internals import Failed, failure_reader, run_protocol, was_xfail
from . import confine, explain, guard
from .loader import LEARNER, Learner

# Taken now, before learner code can replace them.
_write = os.write
_get_failures = failure_reader()
_exit = os._exit
_streams = (sys.stdout, sys.stderr)

Send = Callable[[Event], None]
SKIPPED = "This test was skipped. A skipped test never counts as passed."


class Recorder:
    """A pytest plugin that notes, per test, what the learner should read."""

    def __init__(self) -> None:
        self.active = False
        self.notes: dict[str, object] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        result = yield
        if self.active:
            self.notes["checks"] = [f.removeprefix("FAILURE: ").strip() for f in _get_failures()]
            if result.excinfo is not None:
                self.notes["exc_call"] = result.excinfo[1]

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        if self.active and call.excinfo is not None and call.when in ("setup", "teardown"):
            self.notes.setdefault(f"exc_{call.when}", call.excinfo.value)


RECORDER = Recorder()


def isolate(fault_path: Path, user: tuple[int, int] | None = None, keep: tuple[int, ...] = ()) -> None:
    """Cut this process off from the terminal's input and from every file descriptor but its
    output and `keep` (confine.keep_only), and have a crash or a stuck line written to
    `fault_path` (faulthandler; the grader asks with SIGUSR1 on a time-out). Given `user`
    (uid, gid), go on as that user, within confine's caps: learner code then cannot change what
    the grader's own user owns, such as the grader, the tests and the results, nor reach the
    processes of another exercise, which run as other users."""
    gc.enable()  # the grader pauses collection while it forks (see Runner.run)
    confine.keep_only(*keep)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    fault = open(fault_path, "w")
    faulthandler.enable(file=fault, all_threads=False)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=fault, all_threads=False)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if user is not None:
        confine.limit()
        confine.become(*user)


def _flush_output() -> None:
    # print() keeps what it writes in a buffer while the output is a pipe; it goes out before
    # the test's report, so that each test shows what the learner's code printed during it.
    for stream in _streams:
        with contextlib.suppress(Exception):  # closed or broken by learner code
            stream.flush()


def _describe(exc: BaseException, ex: Exercise, learner: Learner) -> tuple[TestStatus, str, Kind, Location | None]:
    """(status, message, kind, where) for an exception that ended a test."""
    where = getattr(exc, "location", None) or explain.learner_frame(exc, learner.prefixes)
    if isinstance(exc, guard.ShortcutError):
        return TestStatus.FAIL, str(exc), Kind.ORDINARY, where
    if isinstance(exc, explain.LoadError):
        return TestStatus.ERROR, str(exc), Kind.GRAVE, where
    special = explain.behaviour(exc) if where is not None else None
    if special is not None:
        return (TestStatus.SKIP if explain.is_skip(exc) else TestStatus.ERROR), special, Kind.GRAVE, where
    if explain.is_skip(exc):  # from the tests themselves, not the learner's code
        return TestStatus.SKIP, SKIPPED, Kind.ORDINARY, None
    if isinstance(exc, NotImplementedError):
        origin = explain.raised_in(exc, learner.prefixes)
        if origin == ex.file:
            return TestStatus.ERROR, still_raises(ex), Kind.NOT_STARTED, where
        other = course().by_file(ex.folder, origin) if origin else None
        if other is not None:
            return (TestStatus.ERROR, f"{ex.name} uses your {other.name} (exercise {other.id}), which is not "
                    f"done yet. Finish exercise {other.id} first.", Kind.ORDINARY, where)
    if isinstance(exc, (AssertionError, Failed)) and where is None:
        return TestStatus.FAIL, str(exc).strip(), Kind.ORDINARY, None
    return TestStatus.ERROR, f"Your code raised {explain.exception_summary(exc)}", Kind.ORDINARY, where


def _warnings_text(caught: list[warnings.WarningMessage]) -> str:
    quiet = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ResourceWarning)
    texts = dict.fromkeys((str(w.message).strip().splitlines() or [""])[0] for w in caught
                          if not issubclass(w.category, quiet))
    return "".join(f"\n  PyTorch warned: {t}" for t in [t for t in texts if t][:2])


def run_test(item, nextitem, ex: Exercise, learner: Learner) -> tuple[TestRecord, bool]:
    """Run one test through pytest's own protocol; (its record, whether the run was interrupted)."""
    RECORDER.notes = {}
    interrupted = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reports = run_protocol(item, nextitem)
        except BaseException as exc:  # KeyboardInterrupt or pytest.exit() from learner code
            reports = []
            RECORDER.notes.setdefault("exc_call", exc)
            interrupted = True
    notes = RECORDER.notes
    phases = {r.when: r for r in reports}
    checks = notes.get("checks") or []
    exc = notes.get("exc_setup") or notes.get("exc_call") or notes.get("exc_teardown")
    record = TestRecord(item.name, TestStatus.ERROR)
    # Read from the reports' plain fields: learner code can replace a property, and the
    # tripwire would only notice after this test.
    passed = (len(reports) == 3 and set(phases) == {"setup", "call", "teardown"} and not checks and exc is None
              and all(r.outcome == "passed" for r in reports) and not was_xfail(phases["call"]))
    if passed:
        record.status = TestStatus.PASS
    elif checks:
        record.status, record.message = TestStatus.FAIL, "\n".join(checks)
        if exc is not None:
            _, text, kind, record.location = _describe(exc, ex, learner)
            record.message += "\n" + text
            if kind == Kind.GRAVE:
                record.status, record.kind = TestStatus.ERROR, kind
    elif exc is not None:
        record.status, record.message, record.kind, record.location = _describe(exc, ex, learner)
    elif any(r.skipped for r in reports):
        record.status, record.message = TestStatus.SKIP, SKIPPED
    else:
        record.message = "This test did not finish normally."
    if record.status in (TestStatus.FAIL, TestStatus.ERROR):
        record.message += _warnings_text(caught)
    record.properties = {k: v for k, v in getattr(phases.get("call"), "user_properties", [])}
    record.seconds = round(sum(r.duration for r in reports), 4)
    return record, interrupted


TAMPERED = ("Your code replaced part of PyTorch or of the grader while the tests ran ({}), so this exercise "
            "cannot be graded honestly. Write the exercise without changing other modules.")


def grade(ex: Exercise, items: list, folders: dict[str, Path], reset_hint: str, send: Send) -> None:
    """Run the tests of `ex` against the learner's code in `folders`; report each through `send`."""
    learner = Learner(folders, reset_hint)
    if items:
        items[0].config.stash[LEARNER] = learner
    os._exit = _noting_exit(learner.prefixes, send)
    guard.activate(ex, learner.prefixes)
    wire = guard.Tripwire(ex)
    RECORDER.active = True
    for i, item in enumerate(items):
        send(Start(item.name))
        record, interrupted = run_test(item, items[i + 1] if i + 1 < len(items) else None, ex, learner)
        _flush_output()
        _write(1, END_OF_TEST)
        changed = wire.changes()
        if changed:
            record.status, record.kind = TestStatus.ERROR, Kind.GRAVE
            record.message = TAMPERED.format(", ".join(changed[:3]))
        send(Tested(record))
        if changed or interrupted:
            why = "changed the modules the tests use" if changed else "interrupted the tests"
            send(Stopped(f"the grader stopped after your code {why}"))
            return
    send(Done(round(time.process_time(), 3)))  # this process's CPU, since the fork


def _noting_exit(prefixes: tuple[str, ...], send: Send) -> Callable[[int], None]:
    """os._exit that first tells the grader where the learner's code called it: the process
    ends at once, so there is no traceback to read afterwards."""

    def noting_exit(status: int) -> None:
        frame = guard.frame_in(prefixes, sys._getframe(1))
        if frame is not None:
            where = Location(Path(frame.f_code.co_filename).name, frame.f_lineno)
            send(Exited(where))
        _flush_output()
        _exit(status)

    return noting_exit


def sender(fd: int) -> Send:
    """`send` that writes each event to `fd` (a pipe, or a file opened to append) as one JSON
    line, at once: the grader reads as it goes."""

    def send(event: Event) -> None:
        data = encode(event)
        while data:
            data = data[_write(fd, data):]

    return send
