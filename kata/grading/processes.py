"""What the grader knows of the processes that learner code runs in: the CPU time they used,
the strays they left, and ending every one of them.

Linux tells all of this through /proc; elsewhere the functions answer that they do not know
(None, an empty list), and the runner falls back on the clock and on process groups.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Ending a user's processes: a fork chain is ended one generation a round; it gives up (and says
# so, by returning False) only after this long, which no chain the process limit allows reaches.
KILL_PATIENCE = 10.0


def become_subreaper() -> None:
    """Adopt orphans of learner code (Linux), so that none outlives the grader."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def children(pid: int) -> list[int]:
    """The processes that `pid` started and that still run (or have not been reaped); [] where
    /proc does not tell."""
    found = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                found += [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return []
    return found


def _stat(pid: int) -> list[bytes] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class Usage:
    """What a process and every process it started have used so far, in seconds: `cpu`, CPU time
    (their threads', and that of children already reaped); `busy`, time running or ready to run
    (waiting for a core on a busy machine counts), None where the system does not tell."""

    cpu: float
    busy: float | None

    def __sub__(self, other: Usage) -> Usage:
        busy = None if self.busy is None or other.busy is None else self.busy - other.busy
        return Usage(self.cpu - other.cpu, busy)


def usage(pid: int) -> Usage | None:
    """What `pid` and the processes it started, however deep, have used; None where /proc does
    not tell (or the process has gone)."""
    fields = _stat(pid)
    if fields is None:
        return None
    # After the name: state is field 0; utime, stime, cutime, cstime are fields 11 to 14.
    cpu = sum(int(x) for x in fields[11:15]) / TICKS
    reaped = sum(int(x) for x in fields[13:15]) / TICKS
    busy: float | None = reaped
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                on_cpu, runnable = f.read().split()[:2]
            busy += (int(on_cpu) + int(runnable)) / 1e9
    except (OSError, ValueError):
        busy = None
    for child in children(pid):
        more = usage(child)
        if more is not None:
            cpu += more.cpu
            busy = None if busy is None or more.busy is None else busy + more.busy
    return Usage(cpu, busy)


# Code that waits rather than works (sleep, a blocking read) uses no CPU time; it is stopped once
# it has waited this many times its limit, plus a margin. Waiting for a core on a busy machine
# is not waiting (Linux tells the two apart); where that is not told, the clock counts.
BACKSTOP_FACTOR, BACKSTOP_MARGIN = 2.0, 5.0
# However busy the machine, no process of learner code runs longer than this on the clock: a
# grader always ends.
CEILING_FACTOR, CEILING_MIN = 20.0, 120.0


def backstop(limit: float) -> float:
    return BACKSTOP_FACTOR * limit + BACKSTOP_MARGIN


def ceiling(limit: float) -> float:
    return max(CEILING_FACTOR * limit, CEILING_MIN)


def over_limit(used: Usage | None, wall: float, limit: float) -> str:
    """Why a process that has run `wall` seconds on the clock and used `used` is out of time
    under a limit of `limit` CPU seconds: its CPU time (its own and its children's) is past the
    limit, or it has waited past the backstop, or it has run past the ceiling; "" while it has
    time left. Where the system does not tell (`used` is None), the clock stands in for CPU time."""
    if wall > ceiling(limit):
        return (f"it was still running after {ceiling(limit):g} s on the clock, without using up its CPU time: "
                "the machine may be too busy to grade it")
    if used is None:
        return f"it was still running after {limit:g} s" if wall > limit else ""
    if used.cpu > limit:
        return f"it was still running after {limit:g} s of CPU time"
    if wall - (used.busy if used.busy is not None else used.cpu) > backstop(limit):
        return f"it was still running after {backstop(limit):g} s of waiting, with little work done"
    return ""


def processes_of(uid: int) -> list[int]:
    """The live processes whose real user is `uid` (zombies left out: they are dead already)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as f:
                status = f.read()
        except OSError:
            continue
        lines = dict(line.split(b":", 1) for line in status.splitlines() if b":" in line)
        if lines.get(b"State", b"").split()[:1] != [b"Z"] and int(lines.get(b"Uid", b"-1 ").split()[0]) == uid:
            found.append(int(name))
    return found


def kill_user(uid: int, reap=lambda: None) -> bool:
    """End every process of the user `uid`, whatever its session, group or depth, round after
    round until none is left (a process forking as it dies leaves children for the next round);
    `reap()` collects those that the grader adopted. Whether none is left. Needs root."""
    deadline = time.monotonic() + KILL_PATIENCE
    while True:
        pids = processes_of(uid)
        if not pids:
            return True
        if time.monotonic() > deadline:
            return False
        killer = os.fork()
        if killer == 0:  # as that user, kill(-1) reaches every one of its processes at once
            code = 1
            try:
                os.setgroups([])
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
                code = 0
            finally:
                os._exit(code)
        os.waitpid(killer, 0)
        reap()
        time.sleep(0.001)


# Users for learner code: uids from here up that no account and no process has.
FIRST_FREE_UID = 61000
# Where each grader locks the uids it holds: one folder for the whole machine, whatever TMPDIR
# each grader was given (the Gradescope bundle gives its own), so that two never share a uid.
UID_LOCKS = Path("/tmp/kata-uids")


class Uids:
    """uids of this grader's own, for learner code run as root: each exercise (or audit) that runs
    at once gets one, and at its end every process of that uid is ended, so a uid must belong to
    nothing else: no account has it, no process runs as it, and no other grader on this machine
    holds it (each is locked, in the system's temporary folder, while this grader keeps it)."""

    def __init__(self, count: int, start: int = FIRST_FREE_UID):
        self._locks: dict[int, int] = {}  # uid -> the open file whose lock holds it
        self._free: deque[int] = deque()
        self._free.extend(self._reserve(count, start))

    def take(self) -> int:
        return self._free.popleft()

    def give_back(self, uid: int, ended: bool = True) -> None:
        """Free `uid` for the next one; one that still has a process left is never given again:
        a fresh uid takes its place."""
        self._free.append(uid if ended else self._reserve(1, max(self._locks) + 1)[0])

    def close(self) -> None:
        for fd in self._locks.values():
            os.close(fd)  # the lock goes with it
        self._locks.clear()

    def _reserve(self, count: int, start: int) -> list[int]:
        import fcntl
        import pwd

        folder = UID_LOCKS
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise RuntimeError(f"{folder} must be a folder that only the grader's user owns and uses; remove it")
        busy = set()
        for name in os.listdir("/proc"):
            with contextlib.suppress(OSError):
                if name.isdigit():
                    busy.add(os.stat(f"/proc/{name}").st_uid)
        found: list[int] = []
        uid = start
        while len(found) < count:
            try:
                pwd.getpwuid(uid)
            except KeyError:
                if uid not in busy and uid not in self._locks:
                    fd = os.open(folder / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except OSError:  # another grader holds it
                        os.close(fd)
                    else:
                        self._locks[uid] = fd
                        found.append(uid)
            uid += 1
        return found
