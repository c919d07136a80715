"""The audit: the grader's own check of the values behind an exercise's points.

Each exercise declares its checks next to its tests. tests/<chapter>/audit_checks.py (and an
instructor's tests/<chapter>/hidden_checks.py, which a release leaves out) hold the grader's
half: how to draw the arguments from a generator, the values the grader expects for them, and
how close they must come. tests/<chapter>/audit_probes.py holds the other half, the only one
the learner's process sees: how to call the learner's code on the arguments and turn what it
gives into plain values (kata.exercise_process.driver runs it).

The seed is drawn fresh for every audit and never leaves the grader; only the drawn arguments
are sent. What comes back is JSON, compared here with what the grader computes itself.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import math
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import ROOT
from ..catalogue.course import Exercise
from ..exercise_process import driver
from ..files import private_copy
from . import processes

# An instructor's checks, in a chapter's tests folder; a student release leaves the file out.
HIDDEN_CHECKS = "hidden_checks.py"
# The audit's time limit, in exercise time limits: it runs the learner's code once more, after
# the tests, and a busy machine must not fail honest code; a hang is still stopped.
LIMIT = 2
# Beyond the clock's ceiling of the driver's children (processes.ceiling), how long the grader waits.
GRACE = 5.0
# A fresh Python needs this long to start and import torch (see runner.STARTUP_LIMIT).
STARTUP = 120.0


def close(got, want, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Whether plain values agree: the same structure, numbers within rtol/atol, the rest equal.
    A bool is not a number here, and a number is not a bool."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, (int, float)):
        return (isinstance(got, (int, float)) and math.isfinite(got) == math.isfinite(want)
                and math.isclose(got, want, rel_tol=rtol, abs_tol=atol) if math.isfinite(want) else got == want)
    if isinstance(want, (list, tuple)):
        return isinstance(got, list) and len(got) == len(want) and all(
            close(g, w, rtol, atol) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(
            close(got[k], want[k], rtol, atol) for k in want)
    return got == want


@dataclass(frozen=True)
class Check:
    """One audit of one exercise. draw(generator) -> the arguments (tensors, numbers, lists);
    expected(arguments) -> the plain values the probe must return for them; agree(got, want)
    decides. Arguments named in `keep` stay in the grader: the probe never sees them (held-out
    labels, say). A hidden check (hidden_checks.py) names the mistake it looks for in `mistake`."""

    exercise: str
    draw: Callable
    expected: Callable
    agree: Callable = close
    keep: tuple[str, ...] = ()
    mistake: str = ""
    hidden: bool = False


@dataclass(frozen=True)
class Finding:
    """What the audit of one exercise found: `disagreed` says how the visible checks failed
    (empty: they agreed); `hidden` holds one (passed, mistake) per hidden check."""

    disagreed: str = ""
    hidden: tuple[tuple[bool, str], ...] = ()


def _load(path: Path) -> list[Check]:
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"kata_audit_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not put in sys.modules: the forks that follow never look it up
    return list(module.CHECKS)


def hidden_checks(path: Path) -> list[Check]:
    """The checks of an instructor's hidden_checks.py."""
    return [replace(c, hidden=True) for c in _load(path)]


def chapter_checks(tests_dir: Path, folder: str) -> list[Check]:
    """The checks of a chapter's exercises, visible ones first, then the hidden ones."""
    return _load(tests_dir / folder / "audit_checks.py") + hidden_checks(tests_dir / folder / HIDDEN_CHECKS)


@dataclass
class _Audit:
    key: str
    checks: list[Check]
    args: list[dict]
    request: dict
    fd: int = -1
    proc: subprocess.Popen | None = None
    deadline: float = 0.0
    started: float = 0.0
    data: bytearray = field(default_factory=bytearray)


class Auditor:
    """Runs audits in the driver, `parallel` at a time, each within LIMIT x `timeout` seconds."""

    def __init__(self, tests_dir: Path, *, timeout: float, fork: bool, user: tuple[int, int] | None = None,
                 parallel: int | None = None):
        self.tests_dir = tests_dir
        self.limit = LIMIT * timeout
        self.user = user
        self.parallel = max(1, parallel or (os.cpu_count() or 1))
        # As root, each running audit has a uid of its own, as each exercise's process has (see
        # Runner), and at its end every process of that uid is ended.
        self.uids = processes.Uids(2 * self.parallel) if user is not None else None
        self.workdir = Path(tempfile.mkdtemp(prefix="kata-audit-"))
        if user is not None:
            self.workdir.chmod(0o711)  # each audit's user may reach its own folder inside, and list nothing
        self.sock, self.pid = driver.start(tests_dir, self.limit) if fork else (None, None)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()  # the driver ends its children, then itself
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.sock = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.uids is not None:
            self.uids.close()

    def audit(self, wanted: list[tuple[str, Exercise, dict[str, Path]]]) -> dict[str, Finding]:
        """For each (key, exercise, folders): what its audit found. Exercises without checks agree."""
        found = self._audit(wanted)
        gc.collect()  # the checks (hidden ones included) are gone before learner code is forked again
        return found

    def _audit(self, wanted: list[tuple[str, Exercise, dict[str, Path]]]) -> dict[str, Finding]:
        generator = _generator()
        pending: deque[_Audit] = deque()
        found: dict[str, Finding] = {}
        chapters: dict[str, list[Check]] = {}
        for key, ex, folders in wanted:
            if ex.folder not in chapters:
                chapters[ex.folder] = chapter_checks(self.tests_dir, ex.folder)
            checks = [c for c in chapters[ex.folder] if c.exercise == ex.id]
            if not checks:
                found[key] = Finding()
                continue
            args = [c.draw(generator) for c in checks]
            sent = [driver.encode({k: v for k, v in a.items() if k not in c.keep}) for c, a in zip(checks, args)]
            request = {"exercise": ex.id, "folders": {k: str(v) for k, v in folders.items()}, "args": sent}
            pending.append(_Audit(key, checks, args, request))
        running: list[_Audit] = []
        while pending or running:
            while pending and len(running) < self.parallel:
                running.append(self._start(pending.popleft()))
            select.select([a.fd for a in running], [], [], 0.05)
            for a in list(running):
                if self._read(a) or time.monotonic() > a.deadline:
                    running.remove(a)
                    self._end(a)
                    self._free(a)
                    found[a.key] = _judge(a.checks, a.args, bytes(a.data), self.limit)
        return found

    def _start(self, a: _Audit) -> _Audit:
        a.started = time.monotonic()
        if self.user is not None:  # its own uid, reading a private copy of the code, as an exercise's process
            user = (self.uids.take(), self.user[1])
            folders = {name: Path(folder) for name, folder in a.request["folders"].items()}
            a.request["folders"] = {name: str(path) for name, path in
                                    private_copy(folders, self._home(user[0]), user).items()}
            a.request["user"] = user
            a.request["cwd"] = str(self._home(user[0]))  # where files it writes by accident land
        message = json.dumps(a.request).encode()
        if self.sock is not None:
            read, write = os.pipe()
            try:
                socket.send_fds(self.sock, [message], [write])
            except OSError as e:  # not the learner's doing: the driver is the grader's own
                raise RuntimeError(f"the audit's driver process has stopped ({e})") from None
            finally:
                os.close(write)
            # The driver ends a child by its CPU time; the clock only guards against a driver gone wrong.
            a.fd, a.deadline = read, time.monotonic() + processes.ceiling(self.limit) + GRACE
        else:
            env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            a.proc = subprocess.Popen([sys.executable, "-P", "-m", "kata.exercise_process.driver",
                                       str(self.tests_dir)], env=env, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
            a.proc.stdin.write(message)
            a.proc.stdin.close()
            a.fd, a.deadline = a.proc.stdout.fileno(), time.monotonic() + self.limit + STARTUP
        os.set_blocking(a.fd, False)
        return a

    @staticmethod
    def _read(a: _Audit) -> bool:
        """Take in what has come; whether the answer is complete (its writer is gone) or too long."""
        while True:
            try:
                chunk = os.read(a.fd, 1 << 16)
            except BlockingIOError:
                return False
            except OSError:
                return True
            if not chunk:
                return True
            a.data += chunk
            if len(a.data) > driver.MAX_MESSAGE:
                return True

    def _home(self, uid: int) -> Path:
        return self.workdir / str(uid)

    def _free(self, a: _Audit) -> None:
        """End every process of the audit's uid and remove its copy; the uid serves again only once
        no process of it is left."""
        if self.user is not None:
            uid = a.request["user"][0]
            ended = processes.kill_user(uid)
            shutil.rmtree(self._home(uid), ignore_errors=True)
            self.uids.give_back(uid, ended)

    @staticmethod
    def _end(a: _Audit) -> None:
        if a.proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(a.proc.pid, 9)
            a.proc.wait()
            a.proc.stdout.close()
        else:
            os.close(a.fd)


# Drawing arguments afresh, for the checks (audit_checks.py, hidden_checks.py); `g` is the run's
# generator, seeded from the operating system (_generator).


def uniform(g, low: float, high: float, *shape: int):
    """A float32 tensor of `shape` (0-dim without one), uniform in [low, high)."""
    import torch

    return torch.rand(shape, generator=g) * (high - low) + low


def number(g, low: float = -3.0, high: float = 3.0) -> float:
    """A Python float in [low, high), to six digits, so that a message shows it as it is."""
    return round(float(uniform(g, low, high)), 6)


def integer(g, low: int, high: int) -> int:
    """A Python int from `low` to `high`, both included."""
    import torch

    return int(torch.randint(low, high + 1, (), generator=g))


def classes(g, n: int, c: int):
    """`n` class indices (int64) below `c`."""
    import torch

    return torch.randint(0, c, (n,), generator=g)


def _generator():
    """A generator seeded afresh from the operating system: no run's inputs foretell another's."""
    import torch

    return torch.Generator().manual_seed(secrets.randbits(63))


def _judge(checks: list[Check], args: list[dict], data: bytes, limit: float) -> Finding:
    """Compare the answer with the grader's own values. The visible checks come first: what ended
    the run during a hidden one (an exception's text, say) is never repeated to the learner."""
    try:
        answer = json.loads(data) if data else None
    except (ValueError, RecursionError):
        answer = None
    values = answer.get("values") if isinstance(answer, dict) else None
    error = answer.get("error") if isinstance(answer, dict) else None
    if not data:
        values, why = [], (f"your code gave no answer: it ran past {limit:g} s of CPU time, or its process "
                           "ended first")
    elif not isinstance(values, list) or len(values) > len(checks):
        values, why = [], "your code's process answered with something other than its values"
    elif isinstance(error, str):
        why = f"your code raised {error}"
    else:
        why = "your code's process did not answer for every input"
    agreed = []
    for check, drawn, got in zip(checks, args, values):
        try:
            agreed.append(bool(check.agree(got, check.expected(drawn))))
        except Exception:  # values of the wrong kind for the comparison
            agreed.append(False)
    agreed += [False] * (len(checks) - len(agreed))
    visible = sum(not c.hidden for c in checks)
    if len(values) < visible:
        disagreed = why
    elif not all(agreed[:visible]):
        disagreed = "on fresh inputs, your code's values differ from the grader's own"
    else:
        disagreed = ""
    return Finding(disagreed, tuple((ok, c.mistake) for c, ok in zip(checks, agreed) if c.hidden))
