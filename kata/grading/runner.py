"""Running each exercise in a process of its own, with a limit on its CPU time, several at once.

Where the operating system has fork, each exercise runs in a fork of the warm grader:
torch, pytest and the collected tests are already in memory, so a run costs
milliseconds. Elsewhere each exercise runs in a fresh Python (kata.grading.worker),
slower but just as isolated. Either way, a crash, a hang, an early exit or a stray child
process touches only its own exercise, and what it prints, however much, is kept only in
part and never changes a verdict.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import ROOT
from ..files import private_copy
from ..catalogue.course import Exercise
from ..outcomes import (END_OF_TEST, MAX_EVENT, Done, Ended, Event, Exited, Location, Ready, Start, Stopped, Tested,
                        TestRecord, Unreadable, decode)
from . import processes

DEFAULT_TIMEOUT = 10.0  # seconds of CPU time an exercise's processes may use
CAN_FORK = hasattr(os, "fork") and sys.platform != "win32"
# A fresh Python needs this long at most to import torch and collect one test file; the
# exercise's own time limit starts when it reports "ready".
STARTUP_LIMIT = 120.0
# How often a running process's CPU time is read.
CPU_LOOK = 0.05
# On a time-out the process is asked for its Python stack (faulthandler, SIGUSR1) and
# given this long to write it, so the report can name the learner's line.
STACK_DUMP_WAIT = 0.5
# An exercise takes a fraction of a second; one still running after this long is probably
# stuck, and another may start beside it (see Runner._room).
PATIENCE = 1.0
# What is kept of the learner's printing, per test; the rest is counted, not kept.
KEEP_OUTPUT = 500
SIGNALS = {"SIGSEGV": "segmentation fault", "SIGABRT": "aborted", "SIGKILL": "killed", "SIGBUS": "bus error",
           "SIGFPE": "arithmetic error", "SIGILL": "illegal instruction"}


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
    ended: Ended
    detail: str = ""
    where: Location | None = None  # the learner's line it was stuck at, crashed at or exited from
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the process used: as it reported when done, or as last seen


@dataclass
class _Active:
    """A running exercise's process, and what it has printed and reported so far."""

    job: Job
    pid: int
    started: float  # when its time limit started
    out: int  # what the learner's code prints
    fd: int  # its events: a pipe from a fork, the file that a fresh Python appends them to
    proc: subprocess.Popen | None = None  # a fresh Python
    buffer: bytes = b""  # the start of an event not yet complete
    events: list[Event | Unreadable] = field(default_factory=list)
    printed: bytearray = field(default_factory=bytearray)  # the current test's output, its start
    printed_size: int = 0
    unread: bytes = b""  # output that may be the start of END_OF_TEST
    outputs: list[tuple[str, int]] = field(default_factory=list)  # each ended test's (output kept, size)
    status: int | None = None  # its exit code once it has ended, minus the signal that ended it
    ready: bool = False  # a fresh Python has started; its time limit runs from then
    user: tuple[int, int] | None = None  # the user of its own it runs as (see Runner), if any
    base: processes.Usage | None = None  # what it had used when its time limit started (a fresh Python's start)
    next_look: float = 0.0  # when to read its CPU time next
    cpu: float = 0.0  # CPU seconds it had used when last looked at

    @property
    def finished(self) -> bool:
        return any(isinstance(e, (Done, Stopped, Unreadable)) for e in self.events)


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    return f"{name} ({SIGNALS[name]})" if name in SIGNALS else name


class Runner:
    """Runs jobs, `parallel` at a time (more while some seem stuck), each within `timeout` seconds of CPU time,
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
        # As root, each exercise that runs at once gets a user of its own, so that it can neither
        # signal nor read another's processes and files; the group is that of `user`.
        self.uids = processes.Uids(2 * self.parallel) if user is not None else None
        if user is not None:
            self.workdir.chmod(0o711)  # each user may reach its own folder inside, and list nothing
        processes.become_subreaper()
        # Children the grader had before (a notebook kernel, say) are not learner code.
        self.earlier = set(processes.children(os.getpid()))
        # Finished forks, killed but not yet reaped: tearing down a process's memory takes
        # milliseconds, and the grader starts the next exercise meanwhile.
        self.dying: set[int] = set()

    def close(self) -> None:
        shutil.rmtree(self.workdir)
        if self.uids is not None:
            self.uids.close()

    def run(self, jobs: list[Job], on_done: Callable[[Job, Outcome], None] | None = None,
            on_wait: Callable[[], None] | None = None) -> dict[str, Outcome]:
        """Run every job; return (and pass to on_done) each one's outcome as it comes. on_wait() is
        called about fifty times a second while jobs run: a front end answers its keys there."""
        pending = deque(jobs)
        active: dict[str, _Active] = {}
        results: dict[str, Outcome] = {}
        # While forks share the grader's memory, every page it writes is copied, and a garbage
        # collection writes to every object it examines. The grader's bookkeeping makes no cycles
        # worth collecting meanwhile; each exercise's process collects its own (run.isolate).
        collecting = gc.isenabled()
        gc.disable()
        try:
            while pending or active:
                self._reap()
                while pending and self._room(active):
                    job = pending.popleft()
                    try:
                        a = (self._start_fork if self.fork else self._start_fresh)(job)
                    except OSError as e:  # a full disk, say: this job fails, the others go on
                        results[job.key] = Outcome([], None, Ended.EXIT, f"the grader could not start it: {e}")
                        if on_done:
                            on_done(job, results[job.key])
                        continue
                    active[a.job.key] = a
                self._wait(active)
                for key in list(active):
                    outcome = self._check(active[key])
                    if outcome is None:
                        continue
                    a = active.pop(key)
                    self._close(a)
                    self._end_user(a, {x.pid for x in active.values()})
                    self._sweep({x.pid for x in active.values()})
                    results[key] = outcome
                    if on_done:
                        on_done(a.job, outcome)
                if on_wait:
                    on_wait()
        finally:
            for a in active.values():
                self._kill(a)
                self._close(a)
                self._end_user(a, set())
            self._reap(block=True)
            self._sweep(set())
            if collecting:
                gc.enable()
        return results

    def _file(self, job: Job, suffix: str) -> Path:
        return self.workdir / f"{job.key}{suffix}"

    def _room(self, active: dict[str, _Active]) -> bool:
        """Whether another job may start: fewer than `parallel` jobs are young, and fewer
        than twice as many run. Stuck exercises (and those that use them) then wait for
        their time limits side by side, not one pair after another, so a run stays short."""
        now = time.monotonic()
        patience = min(PATIENCE, self.timeout / 2)
        young = sum(1 for a in active.values() if (a.proc is not None and not a.ready) or now - a.started < patience)
        return young < self.parallel and len(active) < 2 * self.parallel

    def _home(self, job: Job) -> Path:
        return self.workdir / job.key

    def _apart(self, job: Job) -> tuple[Job, tuple[int, int] | None]:
        """As root: the job, reading a private copy of its code (workdir/KEY, only its user may
        read it, which is also its current folder), and the user of its own it runs as."""
        if self.user is None:
            return job, None
        user = (self.uids.take(), self.user[1])
        try:
            folders = private_copy(job.folders, self._home(job), user)
        except OSError:
            self.uids.give_back(user[0])
            raise
        return replace(job, folders=folders), user

    def _end_user(self, a: _Active, keep: set[int]) -> None:
        """End every process of the job's own user, wherever it is, remove its files, and free
        the user for another job."""
        if a.user is None:
            return
        uid = a.user[0]
        ended = processes.kill_user(uid, reap=lambda: (self._reap(), self._sweep(keep)))
        shutil.rmtree(self._home(a.job), ignore_errors=True)
        self.uids.give_back(uid, ended)

    def _start_fork(self, job: Job) -> _Active:
        from ..exercise_process import example, run

        job, user = self._apart(job)
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
                if user is not None:
                    os.chdir(self._home(job))
                run.isolate(self._file(job, ".fault"), user, keep=(events_write,))
                send = run.sender(events_write)
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
        with contextlib.suppress(OSError):  # the child already did it, or has already ended
            os.setpgid(pid, pid)
        return _Active(job, pid, time.monotonic(), out_read, events_read, base=processes.Usage(0.0, 0.0), user=user)

    def _start_fresh(self, job: Job) -> _Active:
        job, user = self._apart(job)
        events = self._file(job, ".events")
        events.write_text("")
        spec = {"tests": str(self.tests_dir), "exercise": job.exercise.id, "reset_hint": job.reset_hint,
                "folders": {name: str(folder) for name, folder in job.folders.items()}, "events": str(events),
                "fault": str(self._file(job, ".fault")), "user": user,
                "example": str(job.example) if job.example is not None else None}
        # -P: the current folder is not importable.
        args = [sys.executable, "-P", "-m", "kata.grading.worker", json.dumps(spec)]
        group = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if sys.platform == "win32"
                 else {"start_new_session": True})
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=self._home(job) if user is not None else None, **group)
        os.set_blocking(proc.stdout.fileno(), False)
        return _Active(job, proc.pid, time.monotonic(), proc.stdout.fileno(), os.open(events, os.O_RDONLY), proc,
                       user=user)

    def _wait(self, active: dict[str, _Active]) -> None:
        """Wait a little for news from any process, then take it in."""
        # A fresh Python's events file is always ready to read: only pipes are waited for.
        fds = [a.out for a in active.values()] + [a.fd for a in active.values() if a.proc is None]
        if sys.platform != "win32":
            select.select(fds, [], [], 0.02)
        else:
            time.sleep(0.02)
        for a in active.values():
            self._read(a)

    @staticmethod
    def _available(fd: int) -> bytes:
        """What can be read from `fd` now, without waiting: at most 4 MiB, so that a process
        that prints without end cannot keep the runner from the others and from the clock."""
        data = b""
        for _ in range(64):
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # nothing more for now (BlockingIOError), or the pipe is gone
                break
            if not chunk:
                break
            data += chunk
        return data

    def _read_output(self, a: _Active) -> bool:
        """Keep the start of what the learner's code prints in each test, and count the rest;
        whether anything new came."""
        data = self._available(a.out)
        *ended, rest = (a.unread + data).split(END_OF_TEST)
        keep = len(END_OF_TEST) - 1  # the end of a chunk may be the start of the mark
        rest, a.unread = (rest[:-keep], rest[-keep:]) if len(rest) > keep else (b"", rest)
        for n, part in enumerate([*ended, rest]):
            a.printed += part[:max(0, 4 * KEEP_OUTPUT - len(a.printed))]
            a.printed_size += len(part)
            if n < len(ended):
                a.outputs.append((a.printed.decode("utf-8", errors="replace")[:KEEP_OUTPUT], a.printed_size))
                a.printed, a.printed_size = bytearray(), 0
        return bool(data)

    def _read(self, a: _Active) -> None:
        """Take in what the process has printed and reported (a JSON object a line) since the last look."""
        self._read_output(a)
        *lines, a.buffer = (a.buffer + self._available(a.fd)).split(b"\n")
        if len(a.buffer) > MAX_EVENT:  # a line without end: no event
            lines, a.buffer = [*lines, a.buffer], b""
        for event in map(decode, filter(None, lines)):
            a.events.append(event)
            if isinstance(event, Ready) and a.proc is not None and not a.ready:
                a.ready = True  # a fresh Python's time limit starts once, when it is ready
                a.started = time.monotonic()
                a.base = processes.usage(a.pid)

    def _check(self, a: _Active) -> Outcome | None:
        """The job's outcome once the process has reported everything, ended, or run out of
        time (it is ended then); None while it is still at work."""
        timeout = ""
        if a.finished:
            tests = sum(1 for e in a.events if isinstance(e, Tested))
            while len(a.outputs) < tests and self._read_output(a):
                pass  # each test's mark was written before its report, but is read apart
        elif not self._exited(a):
            if a.proc is not None and not a.ready:
                if time.monotonic() - a.started <= STARTUP_LIMIT:
                    return None
                timeout = f"the fresh Python for this exercise did not start within {STARTUP_LIMIT:g} s"
            else:
                timeout = self._over_time(a)
                if not timeout:
                    return None
                self._dump_stack(a)
        self._kill(a, reap_later=a.finished)
        self._read(a)
        return self._outcome(a, timeout)

    def _over_time(self, a: _Active) -> str:
        """Why the process has run out of time (processes.over_limit); "" while it has time left."""
        now = time.monotonic()
        wall = now - a.started
        if now < a.next_look and wall <= processes.backstop(self.timeout):
            return ""
        a.next_look = now + CPU_LOOK
        used = processes.usage(a.pid)
        if used is not None and a.base is not None:
            used = used - a.base
        if used is not None:
            a.cpu = used.cpu
        return processes.over_limit(used, wall, self.timeout)

    def _dump_stack(self, a: _Active) -> None:
        """Ask the process where it is stuck (run.isolate registered faulthandler for it)."""
        fault = self._file(a.job, ".fault")
        with contextlib.suppress(AttributeError, OSError):  # no SIGUSR1 (Windows), or the process is gone
            os.kill(a.pid, signal.SIGUSR1)
            deadline = time.monotonic() + STACK_DUMP_WAIT
            while fault.stat().st_size == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.02)  # let the dump finish

    def _outcome(self, a: _Active, timeout: str) -> Outcome:
        records = [e.record for e in a.events if isinstance(e, Tested)]
        for record, (output, size) in zip(records, a.outputs):  # each test marked its output's end
            record.output, record.output_size = output, size
        reported = {r.name for r in records}
        running = next((e.name for e in reversed(a.events) if isinstance(e, Start) and e.name not in reported), None)
        seconds = round(time.monotonic() - a.started, 3)
        first = {type(e): e for e in reversed(a.events)}  # the first event of each kind
        if Unreadable in first:  # whatever came before or after it
            return Outcome(records, running, Ended.UNREADABLE, first[Unreadable].why, None, seconds)
        if Stopped in first:
            return Outcome(records, running, Ended.STOPPED, first[Stopped].reason, None, seconds)
        if Done in first:
            return Outcome(records, None, Ended.DONE, "", None, seconds, first[Done].cpu)
        if timeout:
            ended, detail = Ended.TIMEOUT, timeout
        elif a.status < 0:
            ended, detail = Ended.CRASH, f"the process was ended by {_signal_name(-a.status)}"
        else:
            ended, detail = Ended.EXIT, f"the process exited with status {a.status}"
        where = first[Exited].location if Exited in first else self._learner_line(a)
        return Outcome(records, running, ended, detail, where, seconds, a.cpu)

    def _learner_line(self, a: _Active) -> Location | None:
        """The learner's innermost line in the process's faulthandler dump (most recent call first)."""
        try:
            fault = self._file(a.job, ".fault").read_text(errors="replace")
        except OSError:
            return None
        prefixes = tuple(f"{Path(f).resolve()}{os.sep}" for f in a.job.folders.values())
        for m in re.finditer(r'File "([^"]+)", line (\d+)', fault):
            if m.group(1).startswith(prefixes):
                return Location(Path(m.group(1)).name, int(m.group(2)))
        return None

    def _exited(self, a: _Active, wait: bool = False) -> bool:
        """Whether the process has ended (with `wait`, once it has); its status is kept in `a`."""
        if a.status is None:
            try:
                if a.proc is not None:
                    a.status = a.proc.wait(timeout=5) if wait else a.proc.poll()
                else:
                    pid, status = os.waitpid(a.pid, 0 if wait else os.WNOHANG)
                    a.status = os.waitstatus_to_exitcode(status) if pid else None
            except subprocess.TimeoutExpired:
                pass
            except ChildProcessError:
                a.status = 0
        return a.status is not None

    def _kill(self, a: _Active, reap_later: bool = False) -> None:
        """End the process and its group, and wait for it; with `reap_later`, a fork is reaped
        later (see self.dying)."""
        if a.proc is not None and sys.platform == "win32":
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(a.pid)], capture_output=True)
        else:
            with contextlib.suppress(OSError):
                os.killpg(a.pid, signal.SIGKILL)
        if reap_later and a.proc is None and a.status is None:
            self.dying.add(a.pid)
        else:
            self._exited(a, wait=True)

    def _reap(self, block: bool = False) -> None:
        for pid in list(self.dying):
            try:
                done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.dying.discard(pid)

    def _close(self, a: _Active) -> None:
        """Close the process's pipes and remove its files."""
        os.close(a.fd)
        if a.proc is not None:
            a.proc.stdout.close()
        else:
            os.close(a.out)
        for suffix in (".fault", ".events"):
            self._file(a.job, suffix).unlink(missing_ok=True)

    def _sweep(self, keep: set[int]) -> None:
        """End processes that learner code started and that escaped their process group: the
        grader adopted them (a subreaper, see processes.become_subreaper) when their parent ended.
        A chain of forks is ended a generation a round, until none is left."""
        deadline = time.monotonic() + processes.KILL_PATIENCE
        while time.monotonic() < deadline:
            strays = [pid for pid in processes.children(os.getpid()) if pid not in keep | self.dying | self.earlier]
            if not strays:
                return
            for pid in strays:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
