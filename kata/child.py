"""What runs inside the process that grades one exercise.

The process (a fork of the warm grader, or a fresh one where fork is missing) runs
the exercise's tests one by one and reports each through `send`. It reports a test
only after the test has run to the end, so a process that dies, hangs or exits early
leaves its tests without a report, and the grader never counts those as passed.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import signal
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pytest
import pytest_check.check_log as check_log
from _pytest.outcomes import Failed
from _pytest.runner import runtestprotocol

from . import explain, guard, loader, sharing
from .meta import Exercise, chapter

# Learner output beyond this fails the write (EFBIG) instead of filling the disk.
OUTPUT_LIMIT = 8 * 1024 * 1024
KEEP_OUTPUT = 500

# Taken now, before learner code can replace them.
_write = os.write
_dumps = json.dumps
_get_failures = check_log.get_failures
_exit = os._exit
_streams = (sys.stdout, sys.stderr)

# Where faulthandler writes a crash's stack (and where os._exit notes its caller).
_fault_file: TextIO | None = None


class Recorder:
    """A pytest plugin that notes, per test, what the learner should read."""

    def __init__(self) -> None:
        self.active = False
        self.notes: dict[str, dict] = {}

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


def isolate(workdir: Path, key: str) -> int:
    """Detach this process from the terminal's streams; return the fd of the output file."""
    gc.enable()  # the grader pauses collection while it forks (see Runner.run)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    out = os.open(workdir / f"{key}.out", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(out, 1)
    os.dup2(out, 2)
    global _fault_file
    fault = _fault_file = open(workdir / f"{key}.fault", "w")
    faulthandler.enable(file=fault, all_threads=False)
    if hasattr(signal, "SIGUSR1"):  # the runner's question on a time-out: where are you stuck?
        faulthandler.register(signal.SIGUSR1, file=fault, all_threads=False)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    return out


def _read_output(fd: int) -> tuple[str, int]:
    # print() keeps what it writes in a buffer while the output is a file; it goes to the
    # file first, so that each test shows what the learner's code printed during it.
    for stream in _streams:
        try:
            stream.flush()
        except Exception:  # closed or broken by learner code, or over the output limit
            pass
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4 * KEEP_OUTPUT)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        return "", 0
    text = data.decode("utf-8", errors="replace")
    return text[:KEEP_OUTPUT], size


# How a test ended, besides its status: the stub is untouched, or the learner's code did
# something that makes the whole exercise an error (it did not load, ended the process,
# skipped the test, changed the grader).
ORDINARY, NOT_STARTED, GRAVE = "", "not_started", "grave"


def _describe(exc: BaseException, ex: Exercise) -> tuple[str, str, str]:
    """(status, message, kind) for an exception that ended a test."""
    frame = explain.learner_frame(exc)
    if isinstance(exc, guard.ShortcutError):
        at = f"\n  at {frame}" if frame and frame.file not in str(exc) else ""
        return "fail", f"{exc}{at}", ORDINARY
    if isinstance(exc, loader.LoadError):
        return "error", str(exc), GRAVE
    special = explain.behaviour(exc, frame) if frame is not None else None
    if special is not None:
        return ("skip" if explain.is_skip(exc) else "error"), special, GRAVE
    if explain.is_skip(exc):  # from the tests themselves, not the learner's code
        return "skip", "This test was skipped. A skipped test never counts as passed.", ORDINARY
    if isinstance(exc, NotImplementedError):
        origin = explain.raised_in(exc)
        if origin == ex.file:
            return "error", f"{ex.name} still raises NotImplementedError: replace the stub in {ex.file} with your code.", NOT_STARTED
        other = next((e for e in chapter().exercises if e.file == origin), None)
        if other is not None:
            return "error", (
                f"{ex.name} uses {other.name} from {other.file} (exercise {other.id}), which is "
                f"not done yet. Finish exercise {other.id} first."
            ), ORDINARY
    if isinstance(exc, (AssertionError, Failed)) and frame is None:
        return "fail", str(exc).strip(), ORDINARY
    where = f"\n  at {frame}" if frame else ""
    return "error", f"Your code raised {explain.exception_summary(exc)}{where}", ORDINARY


def _warnings_text(caught: list[warnings.WarningMessage]) -> str:
    seen: list[str] = []
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ResourceWarning)):
            continue
        text = str(w.message).strip().splitlines()[0]
        if text and text not in seen:
            seen.append(text)
    return "".join(f"\n  PyTorch warned: {t}" for t in seen[:2])


def run_test(item, nextitem, ex: Exercise, out_fd: int) -> dict:
    """Run one test through pytest's own protocol and describe how it ended."""
    RECORDER.notes = {}
    record = {"event": "test", "name": item.name, "status": "error", "message": "", "kind": ORDINARY}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
        except BaseException as exc:  # KeyboardInterrupt or pytest.exit() from learner code
            reports = []
            RECORDER.notes.setdefault("exc_call", exc)
            record["interrupted"] = True
    notes = RECORDER.notes
    phases = {r.when: r for r in reports}
    checks = notes.get("checks") or []
    exc = notes.get("exc_setup") or notes.get("exc_call") or notes.get("exc_teardown")
    # Read from the reports' plain fields: learner code can replace a property, and the
    # tripwire would only notice after this test.
    passed = (
        len(reports) == 3
        and set(phases) == {"setup", "call", "teardown"}
        and all(r.outcome == "passed" for r in reports)
        and not getattr(phases["call"], "wasxfail", None)
        and not checks
        and exc is None
    )
    if passed:
        record["status"] = "pass"
    elif checks:
        record["status"] = "fail"
        record["message"] = "\n".join(checks)
        if exc is not None:
            _, text, kind = _describe(exc, ex)
            record["message"] += "\n" + text
            if kind == GRAVE:
                record["status"], record["kind"] = "error", GRAVE
    elif exc is not None:
        record["status"], record["message"], record["kind"] = _describe(exc, ex)
    elif any(r.skipped for r in reports):
        record["status"] = "skip"
        record["message"] = "This test was skipped. A skipped test never counts as passed."
    else:
        record["message"] = "This test did not finish normally."
    if record["status"] in ("fail", "error"):
        record["message"] += _warnings_text(caught)
    output, size = _read_output(out_fd)
    record["output"] = output
    record["output_size"] = size
    record["properties"] = {k: v for k, v in getattr(phases.get("call"), "user_properties", [])}
    record["seconds"] = round(sum(r.duration for r in reports), 4)
    return record


def grade(ex: Exercise, items: list, target: Path, send: Callable[[dict], None], out_fd: int) -> None:
    """Run the tests of `ex` against the learner's code in `target`; report each through `send`."""
    grade_in_turn([(ex, items)], target, send, out_fd)


def grade_in_turn(exercises: list[tuple[Exercise, list]], target: Path, send: Callable[[dict], None],
                  out_fd: int) -> None:
    """Grade each exercise in turn (its tests, then "done"), as long as each leaves the process
    as it found it (kata.sharing); return early, leaving the rest ungraded, when one does not."""
    loader.set_target(target)
    folder = loader.target()
    os._exit = _noting_exit(str(folder) + os.sep)
    state = sharing.State() if len(exercises) > 1 else None
    RECORDER.active = True
    for n, (ex, items) in enumerate(exercises):
        if n:
            if state.changes():
                return
            state.restore()
        guard.activate(ex, folder)
        # Noted after activate(), which changes the guard's module. Nothing else changed a
        # watched namespace since the previous exercise: that was checked after its last test.
        if not _grade_one(ex, items, send, out_fd, guard.Tripwire()):
            return


def _grade_one(ex: Exercise, items: list, send: Callable[[dict], None], out_fd: int,
               wire: guard.Tripwire) -> bool:
    """Run the tests of `ex`; False when the process must stop after it."""
    send = _naming(ex, send)
    for i, item in enumerate(items):
        send({"event": "start", "name": item.name})
        record = run_test(item, items[i + 1] if i + 1 < len(items) else None, ex, out_fd)
        changed = wire.changes()
        if changed:
            record.update(status="error", kind=GRAVE, message=TAMPERED.format(", ".join(changed[:3])))
            send(record)
            send({"event": "stopped", "reason": "the grader stopped after your code changed the modules the tests use"})
            return False
        interrupted = record.pop("interrupted", False)
        send(record)
        if interrupted:
            send({"event": "stopped", "reason": "the grader stopped after your code interrupted the tests"})
            return False
    send({"event": "done"})
    return True


def _naming(ex: Exercise, send: Callable[[dict], None]) -> Callable[[dict], None]:
    """`send` that names the exercise in each event: a copy of this process that learner code
    forked may go on sending, and the runner takes no event for the wrong exercise."""

    def naming_send(event: dict) -> None:
        event["exercise"] = ex.id
        send(event)

    return naming_send


def _noting_exit(prefix: str) -> Callable[[int], None]:
    """os._exit that first notes where the learner's code called it, for the report: the
    process ends at once, so there is no traceback to read afterwards."""

    def noting_exit(status: int) -> None:
        frame = guard.frame_in(prefix, sys._getframe(1))
        if frame is not None and _fault_file is not None:
            _fault_file.write(f'os._exit() called from File "{frame.f_code.co_filename}", line {frame.f_lineno}\n')
            _fault_file.flush()
        _exit(status)

    return noting_exit


TAMPERED = (
    "Your code replaced part of PyTorch or of the grader while the tests ran ({}), so this "
    "exercise cannot be graded honestly. Write the exercise without changing other modules."
)


def pipe_sender(fd: int) -> Callable[[dict], None]:
    def send(event: dict) -> None:
        data = (_dumps(event) + "\n").encode()
        while data:
            data = data[_write(fd, data):]

    return send
