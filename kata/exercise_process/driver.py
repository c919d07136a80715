"""The audit's driver: where the learner's code computes the values that decide the points.

The grader starts the driver (a fork of itself, made before any test module is imported, or
a fresh Python where there is no fork). The driver holds torch, the learner-module loader and
the probes (tests/<chapter>/audit_probes.py), which only call the learner's code: no test,
no expected value, no hidden check is ever in its memory. For each request it starts a child
that goes on as an exercise's process would (run.isolate), loads the learner's module, calls
the exercise's probe on each set of arguments it was sent and writes back one JSON object of
plain values. The arguments are drawn by the grader from a seed the driver never sees.

    python -P -m kata.exercise_process.driver TESTS_DIR    (the fresh-Python form: one request
                                                            on stdin, the answer on stdout)
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path

from ..grading import processes

# What a request or an answer may weigh, at most.
MAX_MESSAGE = 1 << 20


def encode(value):
    """Arguments as JSON data: tensors become {"tensor": values, "dtype": name}."""
    import torch

    if isinstance(value, torch.Tensor):
        return {"tensor": value.tolist(), "dtype": str(value.dtype).removeprefix("torch.")}
    if isinstance(value, dict):
        return {key: encode(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    return value


def decode(value):
    """The inverse of encode(), in the driver."""
    import torch

    if isinstance(value, dict):
        if set(value) == {"tensor", "dtype"}:
            return torch.tensor(value["tensor"], dtype=getattr(torch, value["dtype"]))
        return {key: decode(v) for key, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def probes(tests_dir: Path, folder: str) -> dict:
    """The probes of one chapter: exercise id -> probe(get, args) -> plain values."""
    path = tests_dir / folder / "audit_probes.py"
    spec = importlib.util.spec_from_file_location(f"audit_probes_{folder}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PROBES


def all_probes(tests_dir: Path) -> dict:
    """Every chapter's probes, read once by the driver, before any child goes on as another user
    (who may not read the tests folder, nor the kata's own package: learner code imports
    kata.data for the path of the data sets, so it is imported here too)."""
    from .. import data  # noqa: F401
    from ..catalogue.course import course

    found = {}
    for chapter in course().chapters:
        if (tests_dir / chapter.folder / "audit_probes.py").is_file():
            found.update(probes(tests_dir, chapter.folder))
    return found


def answer(request: dict, table: dict) -> dict:
    """Run the probe of request["exercise"] on each of request["args"] in turn; never raises. The
    values so far, and what ended the run early, if anything did."""
    from ..catalogue.course import course
    from .loader import Learner

    values: list = []
    try:
        probe = table[course().find(request["exercise"]).id]
        learner = Learner({name: Path(folder) for name, folder in request["folders"].items()})
        for args in request["args"]:
            values.append(probe(learner.get, decode(args)))
        return {"values": values}
    except BaseException as exc:  # learner code may raise anything
        return {"values": values, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}


def _child(request: dict, table: dict, result_fd: int, user: tuple[int, int] | None) -> None:
    """The process that runs the learner's code for one request; never returns."""
    from . import run

    write, dumps, leave = os.write, json.dumps, os._exit  # taken before learner code runs
    try:
        with contextlib.suppress(OSError):  # a fresh Python already leads a session of its own
            os.setpgid(0, 0)
        if request.get("cwd"):
            os.chdir(request["cwd"])  # its own folder, as an exercise's process has
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        run.isolate(Path(os.devnull), user, keep=(result_fd,))
        data = dumps(answer(request, table)).encode()[:MAX_MESSAGE]
        while data:
            data = data[write(result_fd, data):]
    finally:
        leave(0)


def serve(sock: socket.socket, tests_dir: Path, timeout: float) -> None:
    """The driver's loop (a fork of the grader): each message on `sock` is a request, with the
    write end of the pipe for its answer; each gets a child, which goes on as the request's user
    (a uid of its own, when the grader runs as root), ended once it has used `timeout` seconds of
    CPU time or waited past the backstop (processes.over_limit). Ends, with every child, when the
    grader closes its end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle
    table = all_probes(tests_dir)
    running: dict[int, tuple[float, int | None]] = {}  # pid -> (when it started, the uid it runs as)
    while True:
        ready, _, _ = select.select([sock], [], [], 0.05)
        if ready:
            try:
                message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 1)
            except OSError:
                message, fds = b"", []
            if not message:
                break
            request = json.loads(message)
            user = _user(request)
            # The grader gives a uid again once it has the answer of the child that had it; what
            # is left of that child is ended first, never the new one.
            for pid in [p for p, (_, uid) in running.items() if user is not None and uid == user[0]]:
                _end(pid, running.pop(pid)[1])
            pid = os.fork()
            if pid == 0:
                sock.close()
                _child(request, table, fds[0], user)
            for fd in fds:
                os.close(fd)
            running[pid] = (time.monotonic(), user[0] if user else None)
        now = time.monotonic()
        for pid, (started, uid) in list(running.items()):
            done, _ = os.waitpid(pid, os.WNOHANG)
            # Its work counts, not the clock: a busy machine does not fail honest code.
            if done or processes.over_limit(processes.usage(pid), now - started, timeout):
                _end(pid, uid, reaped=bool(done))
                del running[pid]
    for pid, (_, uid) in running.items():
        _end(pid, uid)


def _end(pid: int, uid: int | None, reaped: bool = False) -> None:
    """End a child, the processes of its group, and (as root) every process of its uid: those that
    left its group may hold its answer's pipe open."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    if not reaped:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if uid is not None:
        processes.kill_user(uid)


def _user(request: dict) -> tuple[int, int] | None:
    return tuple(request["user"]) if request.get("user") else None


def start(tests_dir: Path, timeout: float) -> tuple[socket.socket, int]:
    """Fork the driver from the warm grader; (the grader's end of its socket, its pid)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (ours, theirs):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MAX_MESSAGE)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MAX_MESSAGE)
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            # None of the grader's other files: a notebook checker's listening socket, for one,
            # must close when the checker ends.
            os.closerange(3, theirs.fileno())
            os.closerange(theirs.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
            serve(theirs, tests_dir, timeout)
        finally:
            os._exit(0)
    theirs.close()
    return ours, pid


def main() -> int:
    """The fresh-Python driver: one request on stdin, its answer on stdout (fd 1 is kept for it)."""
    request = json.loads(sys.stdin.buffer.read(MAX_MESSAGE))
    result_fd = os.dup(1)
    from ..grading.warm import warm_up

    warm_up()
    _child(request, all_probes(Path(sys.argv[1])), result_fd, _user(request))
    return 0


if __name__ == "__main__":
    main()
