"""Running exercises in separate processes, with a time limit, several at once.

Where the operating system has fork, each exercise runs in a fork of the warm grader:
torch, pytest and the collected tests are already in memory, so a run costs
milliseconds. Elsewhere each exercise runs in a fresh Python (kata.worker), slower but
just as isolated. Either way, a crash, a hang, an early exit or a stray child process
touches only its own exercise. A batch may grade several exercises of one target in
turn in one fork, under the rules of kata.sharing and Runner.run.
"""

from __future__ import annotations

import gc
import json
import os
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

from .meta import Exercise

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


@dataclass
class Job:
    key: str
    exercise: Exercise
    target: Path
    items: list = field(default_factory=list)
    test_names: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What came back from one exercise's process."""

    records: list[dict]
    running: str | None  # the test that had started but not reported when the process ended
    ended: str  # done | stopped | timeout | crash | exit
    detail: str = ""
    fault: str = ""
    seconds: float = 0.0
    after: tuple[str, ...] = ()  # the jobs graded earlier in the same process


@dataclass
class _Active:
    job: Job | None  # the job the process is grading now; None once all have reported
    pid: int
    started: float  # when the current job began
    key: str = ""  # names the process's files: its first job's key
    rest: deque[Job] = field(default_factory=deque)  # its jobs after the current one
    graded: list[str] = field(default_factory=list)  # its jobs that have reported
    finished: list[tuple[Job, Outcome]] = field(default_factory=list)  # reported, not yet passed on
    fd: int | None = None
    proc: subprocess.Popen | None = None
    buffer: bytes = b""
    events: list[dict] = field(default_factory=list)
    status: int | None = None
    offset: int = 0  # how far the events file of a fresh process has been read
    ready: bool = False  # a fresh process has started; its time limit runs from then


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


def _orphans(keep: set[int]) -> list[int]:
    """The grader's child processes, except those in `keep`."""
    return [pid for pid in child_processes() if pid not in keep]


def child_processes() -> list[int]:
    """The processes this process started that still run (or have not been reaped)."""
    me = os.getpid()
    found = []
    try:  # Linux lists a process's children: one read instead of one per process
        for tid in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{tid}/children", "rb") as f:
                found += [int(pid) for pid in f.read().split()]
        return found
    except (OSError, ValueError):
        found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[1]) == me:
            found.append(int(entry))
    return found


# Each exercise's process may write this much output (OUTPUT_LIMIT in kata.child) and up
# to twice `parallel` run at once; /dev/shm is used only with room for all of that to spare
# (a container's is often 64 MiB).
SHM_ROOM = 1 << 30


def _scratch_dir() -> str | None:
    """Where the per-exercise output files go: memory (/dev/shm) where there is room, as each
    exercise creates and removes two files; the system's temporary folder otherwise."""
    shm = "/dev/shm"
    try:
        room = os.statvfs(shm)
    except (OSError, AttributeError):
        return None
    if room.f_bavail * room.f_frsize >= SHM_ROOM and os.access(shm, os.W_OK):
        return shm
    return None


class Runner:
    """Runs jobs, `parallel` at a time (more while some seem stuck), each within `timeout` seconds."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, parallel: int | None = None,
                 fork: bool | None = None, tests_dir: Path | None = None):
        self.timeout = timeout
        self.parallel = max(1, parallel or os.cpu_count() or 1)
        self.fork = CAN_FORK if fork is None else (fork and CAN_FORK)
        self.tests_dir = tests_dir
        self.workdir = Path(tempfile.mkdtemp(prefix="kata-run-", dir=_scratch_dir()))
        _become_subreaper()
        # Children the grader had before (a notebook kernel, say) are not learner code.
        self.earlier = set(_orphans(set()))
        # Finished forks, killed but not yet reaped: tearing down a process's memory takes
        # milliseconds, and the grader starts the next exercise meanwhile.
        self.dying: set[int] = set()

    def close(self) -> None:
        for path in self.workdir.iterdir():
            path.unlink(missing_ok=True)
        self.workdir.rmdir()

    def run(self, jobs: list[Job], on_done: Callable[[Job, Outcome], None] | None = None, *,
            in_turn: int = 1, final: Callable[[Job, Outcome], bool] | None = None) -> dict[str, Outcome]:
        """Run every job; return (and pass to on_done) each one's outcome as it comes.

        With `in_turn` > 1, up to that many consecutive jobs of the same target share a
        process, one after another (where fork is available, on Linux), as long as each
        leaves the process as it found it (kata.sharing). An outcome from a job that ran
        after another in its process is taken only if final(job, outcome) says so; if
        not, the job runs again, first in a fresh process, and that outcome counts.
        """
        pending: deque[list[Job]] = deque(self._groups(jobs, in_turn if self.shares else 1))
        active: dict[str, _Active] = {}
        results: dict[str, Outcome] = {}
        # While forks share the grader's memory, every page it writes is copied, and a
        # garbage collection writes to every object it examines. The grader's own
        # bookkeeping makes no reference cycles worth collecting meanwhile; each exercise's
        # process collects its own garbage (child.isolate turns collection back on).
        collecting = gc.isenabled()
        gc.disable()
        try:
            while pending or active:
                self._reap()
                while pending and self._room(active):
                    a = self._start(pending.popleft())
                    active[a.key] = a
                self._wait(active)
                for key in list(active):
                    a = active[key]
                    over = self._check(a)
                    if over:  # what its learner code started ends before anyone hears of it
                        del active[key]
                        self._cleanup(a, active)
                        if a.job is not None:  # it never began: the process stopped sharing first
                            pending.appendleft([a.job, *a.rest])
                    elif not a.finished or not a.events:
                        continue  # heard of once the process has begun its next job: it found no trace
                    else:
                        self._sweep({x.pid for x in active.values()} | self.dying)
                    for job, outcome in a.finished:
                        if outcome.after and final is not None and not final(job, outcome):
                            pending.appendleft([job])
                            continue
                        results[job.key] = outcome
                        if on_done:
                            on_done(job, outcome)
                    a.finished.clear()
        finally:
            for a in active.values():
                self._kill(a)
                self._cleanup(a, {})
            self._reap(block=True)
            self._sweep(set())
            if collecting:
                gc.enable()
        return results

    @property
    def shares(self) -> bool:
        """Whether jobs may share a process: kata.sharing reads /proc to check a process."""
        return self.fork and sys.platform.startswith("linux")

    @staticmethod
    def _groups(jobs: list[Job], size: int) -> list[list[Job]]:
        groups: list[list[Job]] = []
        for job in jobs:
            last = groups[-1] if groups else None
            if last is not None and len(last) < size and last[0].target == job.target:
                last.append(job)
            else:
                groups.append([job])
        return groups

    # --- starting ----------------------------------------------------------------

    def _room(self, active: dict[str, _Active]) -> bool:
        """Whether another job may start: fewer than `parallel` jobs are young, and fewer
        than twice as many run. Stuck exercises (and those that use them) then wait for
        their time limits side by side, not one pair after another, so a run stays short."""
        now = time.monotonic()
        patience = min(PATIENCE, self.timeout / 2)
        young = sum(
            1 for a in active.values()
            if (a.proc is not None and not a.ready) or now - a.started < patience
        )
        return young < self.parallel and len(active) < 2 * self.parallel

    def _start(self, jobs: list[Job]) -> _Active:
        if self.fork:
            a = self._start_fork(jobs)
        else:
            a = self._start_fresh(jobs[0])
        a.key = jobs[0].key
        a.rest = deque(jobs[1:])
        return a

    def _start_fork(self, jobs: list[Job]) -> _Active:
        from . import child

        key = jobs[0].key
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            try:
                os.close(read)
                os.setpgid(0, 0)
                out = child.isolate(self.workdir, key)
                child.grade_in_turn([(job.exercise, job.items) for job in jobs], jobs[0].target,
                                    child.pipe_sender(write), out)
            finally:
                os._exit(0)
        os.close(write)
        os.set_blocking(read, False)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass  # the child already did it, or has already ended
        return _Active(jobs[0], pid, time.monotonic(), fd=read)

    def _start_fresh(self, job: Job) -> _Active:
        records = self.workdir / f"{job.key}.events"
        records.write_text("")
        args = [
            sys.executable, "-P", "-m", "kata.worker",  # -P: the current folder is not importable
            "--tests", str(self.tests_dir), "--target", str(job.target),
            "--exercise", job.exercise.id, "--events", str(records),
            "--workdir", str(self.workdir), "--key", job.key,
        ]
        kwargs: dict = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            kwargs["start_new_session"] = True
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen(args, env=env, **kwargs)
        return _Active(job, proc.pid, time.monotonic(), proc=proc)

    # --- watching ----------------------------------------------------------------

    def _wait(self, active: dict[str, _Active]) -> None:
        fds = [a.fd for a in active.values() if a.fd is not None]
        if fds:
            ready, _, _ = select.select(fds, [], [], 0.02)
        else:
            ready = []
            time.sleep(0.02)
        for a in active.values():
            if a.fd is not None and a.fd in ready:
                self._read(a)
            elif a.proc is not None:
                self._read_file(a)

    def _read(self, a: _Active) -> bool:
        try:
            chunk = os.read(a.fd, 1 << 16)
        except BlockingIOError:
            return False
        except OSError:
            chunk = b""
        if not chunk:
            return False
        a.buffer += chunk
        *lines, a.buffer = a.buffer.split(b"\n")
        self._take(a, lines)
        return True

    def _take(self, a: _Active, lines: list[bytes]) -> None:
        """Add the events in `lines` (one JSON object each) to what `a` has reported."""
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or a.job is None:
                continue
            if event.get("exercise", a.job.exercise.id) != a.job.exercise.id:
                continue  # from a copy of the process that learner code forked, at an earlier exercise
            a.events.append(event)
            if event.get("event") == "ready" and a.proc is not None and not a.ready:
                a.ready = True  # a fresh Python's time limit starts once, when it is ready
                a.started = time.monotonic()
            elif event.get("event") in ("done", "stopped"):
                self._conclude(a, self._outcome(a, timed_out=False))

    def _conclude(self, a: _Active, outcome: Outcome) -> None:
        """Keep the current job's outcome; the process's next job (if any) begins now."""
        assert a.job is not None
        outcome.after = tuple(a.graded)
        a.finished.append((a.job, outcome))
        a.graded.append(a.job.key)
        a.job = a.rest.popleft() if a.rest else None
        a.events = []
        a.started = time.monotonic()

    def _read_file(self, a: _Active) -> None:
        """New complete lines of a fresh process's events file."""
        try:
            with open(self.workdir / f"{a.key}.events", "rb") as f:
                f.seek(a.offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1
        a.offset += end
        self._take(a, data[:end].splitlines())

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
        if a.fd is not None:
            while self._read(a):
                pass
        elif a.proc is not None:
            self._read_file(a)

    def _check(self, a: _Active) -> bool:
        """Whether the process is over: every job reported, or it ended or ran out of time
        during its current job (which then gets that outcome, if it began)."""
        if a.job is not None and self._exited(a):
            self._drain(a)  # the last events may finish the current job, or all of them
            if a.job is not None and (a.events or not a.graded):
                self._conclude(a, self._outcome(a, timed_out=False))
            return True
        if a.job is None:
            self._end(a)
            return True
        starting = a.proc is not None and not a.ready
        if time.monotonic() - a.started > (STARTUP_LIMIT if starting else self.timeout):
            if not starting:
                self._dump_stack(a)
            self._kill(a)
            self._drain(a)
            if a.job is not None:
                self._conclude(a, self._outcome(a, timed_out=True, starting=starting))
            return True
        return False

    def _dump_stack(self, a: _Active) -> None:
        """Ask the process where it is stuck (child.isolate registered faulthandler for it)."""
        if not hasattr(signal, "SIGUSR1"):
            return
        fault = self.workdir / f"{a.key}.fault"
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
        records = [e for e in a.events if e.get("event") == "test"]
        started = [e["name"] for e in a.events if e.get("event") == "start"]
        reported = {r["name"] for r in records}
        running = next((n for n in reversed(started) if n not in reported), None)
        seconds = round(time.monotonic() - a.started, 3)
        fault = ""
        fault_file = self.workdir / f"{a.key}.fault"
        if fault_file.exists():
            fault = fault_file.read_text(errors="replace")
        stop = next((e for e in a.events if e.get("event") == "stopped"), None)
        if stop is not None:
            return Outcome(records, running, "stopped", stop.get("reason", ""), fault, seconds)
        if any(e.get("event") == "done" for e in a.events):
            return Outcome(records, None, "done", "", fault, seconds)
        if timed_out and starting:
            return Outcome(records, None, "timeout",
                           f"the fresh Python for this exercise did not start within {STARTUP_LIMIT:g} s",
                           fault, seconds)
        if timed_out:
            return Outcome(records, running, "timeout", f"it was still running after {self.timeout:g} s", fault, seconds)
        status = a.status if a.status is not None else 0
        if a.proc is not None:
            if status < 0:
                return Outcome(records, running, "crash", f"the process was ended by {_signal_name(-status)}", fault, seconds)
            return Outcome(records, running, "exit", f"the process exited with status {status}", fault, seconds)
        if os.WIFSIGNALED(status):
            return Outcome(records, running, "crash", f"the process was ended by {_signal_name(os.WTERMSIG(status))}", fault, seconds)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
        return Outcome(records, running, "exit", f"the process exited with status {code}", fault, seconds)

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
        if a.fd is not None:
            os.close(a.fd)
            a.fd = None
        for suffix in (".out", ".fault", ".events"):
            (self.workdir / f"{a.key}{suffix}").unlink(missing_ok=True)
        self._sweep({x.pid for x in active.values()} | self.dying)

    def _sweep(self, keep: set[int]) -> None:
        """End processes that learner code started and that escaped their process group.

        They were adopted by the grader (a subreaper, see _become_subreaper) when the
        process that started them ended.
        """
        for _ in range(10):
            strays = _orphans(keep | self.earlier)
            if not strays:
                return
            for pid in strays:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except OSError:
                    pass
