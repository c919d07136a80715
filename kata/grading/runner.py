"""Running each exercise in a process of its own, with a time limit, several at once.

Where the operating system has fork, each exercise runs in a fork of the warm grader:
torch, pytest and the collected tests are already in memory, so a run costs
milliseconds. Elsewhere each exercise runs in a fresh Python (kata.grading.worker),
slower but just as isolated. Either way, a crash, a hang, an early exit or a stray child
process touches only its own exercise, and what it prints, however much, is kept only in
part and never changes a verdict.
"""

from __future__ import annotations

import gc
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..catalogue.course import Exercise
from ..outcomes import END_OF_TEST, Location, TestRecord

DEFAULT_TIMEOUT = 10.0
CAN_FORK = hasattr(os, "fork") and sys.platform != "win32"
# A fresh Python needs this long at most to import torch and collect one test file; the
# exercise's own time limit starts when it reports "ready".
STARTUP_LIMIT = 120.0
# On a time-out the process is asked for its Python stack (faulthandler, SIGUSR1) and
# given this long to write it, so the report can name the learner's line.
STACK_DUMP_WAIT = 0.5
# An exercise takes a fraction of a second; one still running after this long is probably
# stuck, and another may start beside it (see Runner._room).
PATIENCE = 1.0
# What is kept of the learner's printing, per test; the rest is counted, not kept.
KEEP_OUTPUT = 500


@dataclass
class Job:
    key: str
    exercise: Exercise
    folders: dict[str, Path]  # chapter folder name -> the folder graded for it
    items: list = field(default_factory=list)  # the exercise's collected tests (fork only)
    reset_hint: str = ""
    example: Path | None = None  # a notebook's Try-it cell, run instead of the tests


@dataclass
class Outcome:
    """What came back from one exercise's process."""

    records: list[TestRecord]
    running: str | None  # the test that had started but not reported when the process ended
    ended: str  # done | stopped | timeout | crash | exit
    detail: str = ""
    where: Location | None = None  # the learner's line it was stuck at, crashed at or exited from
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the process used, as it reported when it was done


@dataclass
class _Active:
    job: Job
    pid: int
    started: float
    fd: int | None = None  # events (fork)
    out: int | None = None  # what the learner's code prints
    proc: subprocess.Popen | None = None
    buffer: bytes = b""
    events: list[dict] = field(default_factory=list)
    printed: bytearray = field(default_factory=bytearray)  # the current test's output, its start
    printed_size: int = 0
    unread: bytes = b""  # output that may be the start of END_OF_TEST
    outputs: list[tuple[str, int]] = field(default_factory=list)  # each ended test's (output kept, size)
    status: int | None = None
    offset: int = 0  # how far the events file of a fresh process has been read
    ready: bool = False  # a fresh process has started; its time limit runs from then

    @property
    def finished(self) -> bool:
        return any(e.get("event") in ("done", "stopped") for e in self.events)


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    meaning = {
        "SIGSEGV": "segmentation fault", "SIGABRT": "aborted", "SIGKILL": "killed",
        "SIGBUS": "bus error", "SIGFPE": "arithmetic error", "SIGILL": "illegal instruction",
    }.get(name)
    return f"{name} ({meaning})" if meaning else name


def _become_subreaper() -> None:
    """Adopt orphans of learner code (Linux), so that none outlives the grader."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def child_processes() -> list[int]:
    """The processes this process started that still run (or have not been reaped); Linux
    lists them, and elsewhere there is no sweep to do (see _become_subreaper)."""
    found = []
    try:
        for tid in os.listdir(f"/proc/{os.getpid()}/task"):
            with open(f"/proc/{os.getpid()}/task/{tid}/children", "rb") as f:
                found += [int(pid) for pid in f.read().split()]
    except (OSError, ValueError):
        return []
    return found


def learner_line(fault: str, prefixes: tuple[str, ...]) -> Location | None:
    """The learner's innermost line in a faulthandler dump (most recent call first)."""
    for m in re.finditer(r'File "([^"]+)", line (\d+)', fault):
        if m.group(1).startswith(prefixes):
            return Location(Path(m.group(1)).name, int(m.group(2)))
    return None


class Runner:
    """Runs jobs, `parallel` at a time (more while some seem stuck), each within `timeout` seconds,
    as `user` (uid, gid) when one is given (the grader must then run as root)."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, parallel: int | None = None,
                 fork: bool | None = None, tests_dir: Path | None = None, user: tuple[int, int] | None = None):
        self.timeout = timeout
        self.user = user
        self.fork = CAN_FORK if fork is None else (fork and CAN_FORK)
        # One fork more than there are cores: while one is started or torn down (the grader
        # waits for that), the others keep every core busy.
        self.parallel = max(1, parallel or (os.cpu_count() or 1) + self.fork)
        self.tests_dir = tests_dir
        self.workdir = Path(tempfile.mkdtemp(prefix="kata-run-"))
        _become_subreaper()
        # Children the grader had before (a notebook kernel, say) are not learner code.
        self.earlier = set(child_processes())
        # Finished forks, killed but not yet reaped: tearing down a process's memory takes
        # milliseconds, and the grader starts the next exercise meanwhile.
        self.dying: set[int] = set()

    def close(self) -> None:
        for path in self.workdir.iterdir():
            path.unlink(missing_ok=True)
        self.workdir.rmdir()

    def run(self, jobs: list[Job], on_done: Callable[[Job, Outcome], None] | None = None,
            on_wait: Callable[[], None] | None = None) -> dict[str, Outcome]:
        """Run every job; return (and pass to on_done) each one's outcome as it comes.

        on_wait() is called about fifty times a second while jobs run: a front end answers
        its keys there.
        """
        pending = deque(jobs)
        active: dict[str, _Active] = {}
        results: dict[str, Outcome] = {}
        # While forks share the grader's memory, every page it writes is copied, and a
        # garbage collection writes to every object it examines. The grader's own
        # bookkeeping makes no reference cycles worth collecting meanwhile; each exercise's
        # process collects its own garbage (run.isolate turns collection back on).
        collecting = gc.isenabled()
        gc.disable()
        try:
            while pending or active:
                self._reap()
                while pending and self._room(active):
                    a = self._start(pending.popleft())
                    active[a.job.key] = a
                self._wait(active)
                for key in list(active):
                    outcome = self._check(active[key])
                    if outcome is None:
                        continue
                    a = active.pop(key)
                    self._cleanup(a, active)
                    results[key] = outcome
                    if on_done:
                        on_done(a.job, outcome)
                if on_wait:
                    on_wait()
        finally:
            for a in active.values():
                self._kill(a)
                self._cleanup(a, {})
            self._reap(block=True)
            self._sweep(set())
            if collecting:
                gc.enable()
        return results

    # --- starting ----------------------------------------------------------------

    def _room(self, active: dict[str, _Active]) -> bool:
        """Whether another job may start: fewer than `parallel` jobs are young, and fewer
        than twice as many run. Stuck exercises (and those that use them) then wait for
        their time limits side by side, not one pair after another, so a run stays short."""
        now = time.monotonic()
        patience = min(PATIENCE, self.timeout / 2)
        young = sum(1 for a in active.values() if (a.proc is not None and not a.ready) or now - a.started < patience)
        return young < self.parallel and len(active) < 2 * self.parallel

    def _start(self, job: Job) -> _Active:
        return self._start_fork(job) if self.fork else self._start_fresh(job)

    def _start_fork(self, job: Job) -> _Active:
        from ..exercise_process import example, run

        events_read, events_write = os.pipe()
        out_read, out_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(events_read)
                os.close(out_read)
                os.setpgid(0, 0)
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(out_write, 1)
                os.dup2(out_write, 2)
                run.isolate(self.workdir / f"{job.key}.fault", self.user)
                send = run.pipe_sender(events_write)
                if job.example is not None:
                    example.run(job.exercise, job.folders, job.example, send)
                else:
                    run.grade(job.exercise, job.items, job.folders, job.reset_hint, send)
            finally:
                os._exit(0)
        os.close(events_write)
        os.close(out_write)
        for fd in (events_read, out_read):
            os.set_blocking(fd, False)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child already did it, or has already ended
        return _Active(job, pid, time.monotonic(), fd=events_read, out=out_read)

    def _start_fresh(self, job: Job) -> _Active:
        events = self.workdir / f"{job.key}.events"
        events.write_text("")
        args = [
            sys.executable, "-P", "-m", "kata.grading.worker",  # -P: the current folder is not importable
            "--tests", str(self.tests_dir), "--exercise", job.exercise.id,
            "--folders", json.dumps({k: str(v) for k, v in job.folders.items()}),
            "--reset-hint", job.reset_hint, "--events", str(events),
            "--fault", str(self.workdir / f"{job.key}.fault"),
            *(["--example", str(job.example)] if job.example is not None else []),
        ]
        if self.user is not None:
            args += ["--user", f"{self.user[0]}:{self.user[1]}"]
        kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(args, env=env, **kwargs)
        out = proc.stdout.fileno()
        os.set_blocking(out, False)
        return _Active(job, proc.pid, time.monotonic(), proc=proc, out=out)

    # --- watching ----------------------------------------------------------------

    def _wait(self, active: dict[str, _Active]) -> None:
        fds = [fd for a in active.values() for fd in (a.fd, a.out) if fd is not None]
        if fds and sys.platform != "win32":
            select.select(fds, [], [], 0.02)
        else:
            time.sleep(0.02)
        for a in active.values():
            self._read_output(a)
            if a.fd is not None:
                self._read_events(a)
            elif a.proc is not None:
                self._read_file(a)

    @staticmethod
    def _available(fd: int | None) -> bytes:
        """What can be read from `fd` now, without waiting: at most 4 MiB, so that a process
        that prints without end cannot keep the runner from the others and from the clock."""
        data = b""
        for _ in range(64 if fd is not None else 0):
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                chunk = b""
            if not chunk:
                break
            data += chunk
        return data

    def _read_output(self, a: _Active) -> None:
        """Keep the start of what the learner's code prints in each test, and count the rest."""
        *ended, rest = (a.unread + self._available(a.out)).split(END_OF_TEST)
        keep = len(END_OF_TEST) - 1  # the end of a chunk may be the start of the mark
        rest, a.unread = (rest[:-keep], rest[-keep:]) if len(rest) > keep else (b"", rest)
        for n, part in enumerate([*ended, rest]):
            a.printed += part[:max(0, 4 * KEEP_OUTPUT - len(a.printed))]
            a.printed_size += len(part)
            if n < len(ended):
                a.outputs.append((a.printed.decode("utf-8", errors="replace")[:KEEP_OUTPUT], a.printed_size))
                a.printed, a.printed_size = bytearray(), 0

    def _read_events(self, a: _Active) -> None:
        a.buffer += self._available(a.fd)
        *lines, a.buffer = a.buffer.split(b"\n")
        self._take(a, lines)

    def _read_file(self, a: _Active) -> None:
        """New complete lines of a fresh process's events file."""
        try:
            with open(self.workdir / f"{a.job.key}.events", "rb") as f:
                f.seek(a.offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        a.offset += end
        self._take(a, data[:end].splitlines())

    def _take(self, a: _Active, lines: list[bytes]) -> None:
        """Add the events in `lines` (one JSON object each) to what `a` has reported."""
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            a.events.append(event)
            if event.get("event") == "ready" and a.proc is not None and not a.ready:
                a.ready = True  # a fresh Python's time limit starts once, when it is ready
                a.started = time.monotonic()

    def _exited(self, a: _Active) -> bool:
        if a.status is not None:
            return True
        if a.proc is not None:
            code = a.proc.poll()
            if code is None:
                return False
            a.status = code
            return True
        pid, status = os.waitpid(a.pid, os.WNOHANG)
        if pid == 0:
            return False
        a.status = status
        return True

    def _drain(self, a: _Active) -> None:
        self._read_output(a)
        if a.fd is not None:
            self._read_events(a)
        elif a.proc is not None:
            self._read_file(a)

    def _check(self, a: _Active) -> Outcome | None:
        """The job's outcome once the process has reported everything, ended, or run out of
        time; None while it is still at work."""
        if a.finished:
            tests = sum(1 for e in a.events if e.get("event") == "test")
            while len(a.outputs) < tests and a.out is not None:  # the marks came before the reports
                before = len(a.outputs), a.printed_size
                self._read_output(a)
                if (len(a.outputs), a.printed_size) == before:
                    break
            self._end(a)
            return self._outcome(a, timed_out=False)
        if self._exited(a):
            self._drain(a)
            return self._outcome(a, timed_out=False)
        starting = a.proc is not None and not a.ready
        if time.monotonic() - a.started > (STARTUP_LIMIT if starting else self.timeout):
            if not starting:
                self._dump_stack(a)
            self._kill(a)
            self._drain(a)
            return self._outcome(a, timed_out=not a.finished, starting=starting)
        return None

    def _dump_stack(self, a: _Active) -> None:
        """Ask the process where it is stuck (run.isolate registered faulthandler for it)."""
        if not hasattr(signal, "SIGUSR1"):
            return
        fault = self.workdir / f"{a.job.key}.fault"
        try:
            os.kill(a.pid, signal.SIGUSR1)
        except OSError:
            return
        deadline = time.monotonic() + STACK_DUMP_WAIT
        while time.monotonic() < deadline:
            try:
                if fault.stat().st_size > 0:
                    time.sleep(0.02)  # let the dump finish
                    return
            except OSError:
                return
            time.sleep(0.01)

    def _outcome(self, a: _Active, timed_out: bool, starting: bool = False) -> Outcome:
        records = [TestRecord.from_event(e) for e in a.events if e.get("event") == "test"]
        for record, (output, size) in zip(records, a.outputs):  # each test marked its output's end
            record.output, record.output_size = output, size
        started = [e["name"] for e in a.events if e.get("event") == "start"]
        reported = {r.name for r in records}
        running = next((n for n in reversed(started) if n not in reported), None)
        seconds = round(time.monotonic() - a.started, 3)
        try:
            fault = (self.workdir / f"{a.job.key}.fault").read_text(errors="replace")
        except OSError:
            fault = ""
        prefixes = tuple(f"{Path(f).resolve()}{os.sep}" for f in a.job.folders.values())
        exit_call = next((e for e in a.events if e.get("event") == "exit"), None)
        where = Location(**exit_call["location"]) if exit_call else learner_line(fault, prefixes)
        stop = next((e for e in a.events if e.get("event") == "stopped"), None)
        if stop is not None:
            return Outcome(records, running, "stopped", stop.get("reason", ""), None, seconds)
        done = next((e for e in a.events if e.get("event") == "done"), None)
        if done is not None:
            return Outcome(records, None, "done", "", None, seconds, float(done.get("cpu", 0.0)))
        if timed_out and starting:
            return Outcome(records, None, "timeout",
                           f"the fresh Python for this exercise did not start within {STARTUP_LIMIT:g} s",
                           None, seconds)
        if timed_out:
            return Outcome(records, running, "timeout", f"it was still running after {self.timeout:g} s", where,
                           seconds)
        status = a.status if a.status is not None else 0
        if a.proc is not None:
            if status < 0:
                return Outcome(records, running, "crash", f"the process was ended by {_signal_name(-status)}", where,
                               seconds)
            return Outcome(records, running, "exit", f"the process exited with status {status}", where, seconds)
        if os.WIFSIGNALED(status):
            return Outcome(records, running, "crash",
                           f"the process was ended by {_signal_name(os.WTERMSIG(status))}", where, seconds)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return Outcome(records, running, "exit", f"the process exited with status {code}", where, seconds)

    # --- ending ------------------------------------------------------------------

    def _end(self, a: _Active) -> None:
        """End a process that has reported everything; reap it later (see self.dying)."""
        if a.proc is not None or a.status is not None:
            self._kill(a)
            return
        try:
            os.killpg(a.pid, signal.SIGKILL)
        except OSError:
            pass
        self.dying.add(a.pid)

    def _reap(self, block: bool = False) -> None:
        for pid in list(self.dying):
            try:
                done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.dying.discard(pid)

    def _kill(self, a: _Active) -> None:
        if a.proc is not None:
            if sys.platform == "win32":
                subprocess.run(["taskkill", "/F", "/T", "/PID", str(a.pid)], capture_output=True)
            else:
                try:
                    os.killpg(a.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                a.status = a.proc.wait(timeout=5) if a.status is None else a.status
            except subprocess.TimeoutExpired:
                pass
            return
        try:
            os.killpg(a.pid, signal.SIGKILL)
        except OSError:
            pass
        if a.status is None:
            try:
                _, a.status = os.waitpid(a.pid, 0)
            except ChildProcessError:
                a.status = 0

    def _cleanup(self, a: _Active, active: dict[str, _Active]) -> None:
        try:
            os.killpg(a.pid, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        for fd in (a.fd, a.out if a.proc is None else None):
            if fd is not None:
                os.close(fd)
        if a.proc is not None and a.proc.stdout is not None:
            a.proc.stdout.close()
        a.fd = a.out = None
        for suffix in (".fault", ".events"):
            (self.workdir / f"{a.job.key}{suffix}").unlink(missing_ok=True)
        self._sweep({x.pid for x in active.values()} | self.dying)

    def _sweep(self, keep: set[int]) -> None:
        """End processes that learner code started and that escaped their process group.

        They were adopted by the grader (a subreaper, see _become_subreaper) when the
        process that started them ended.
        """
        for _ in range(10):
            strays = [pid for pid in child_processes() if pid not in keep | self.earlier]
            if not strays:
                return
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
