"""The checker behind a notebook's check and Try-it cells: `python -m kata.notebooks.server`.

It imports torch and pytest and collects the tests once, then answers one request at a
time: a check grades one exercise exactly as `python grader.py check` does, and a Try-it
runs a cell's code against the learner's code. Either runs in a process forked from this
warm one (a fresh Python where the system cannot fork), with the grader's time limit.

Where there are Unix sockets, one checker serves every notebook that its user has open
with this kata and this Python: it listens on a socket in a folder that only the user can
enter (`address`). The first kernel that needs it starts it, the others connect to it, and
it ends once every kernel that used it has ended, or after a long idle time. A request is
one JSON line and its answer another, on a connection of their own. Where there are no
Unix sockets (Windows), each kernel starts a checker of its own (`--pipe`), which reads
requests on stdin, answers on stdout, and ends when its stdin closes with the kernel.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import select
import socket
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from .. import ROOT

if TYPE_CHECKING:  # the checker imports torch only once it holds the socket
    from ..catalogue.course import Exercise
    from ..feedback.style import Style
    from ..grading.engine import Grader
    from ..grading.runner import Runner
    from ..grading.target import Target
    from ..outcomes import Location

# A checker nobody asked for this long ends, to give back its memory; the next check
# starts another one.
IDLE_SECONDS = 20 * 60
# How often a checker that waits for requests looks whether its kernels still run.
POLL_SECONDS = 2.0
# How long a new checker waits for one that is ending to let go of the socket.
TAKE_OVER_SECONDS = 5.0
# The longest path of a Unix socket on every system that has them.
MAX_SOCKET_PATH = 100

Reply = Callable[[dict], None]
Requests = Iterator[tuple[dict, Reply]]


def address() -> Path | None:
    """Where this user's checker for this kata and this Python listens: a socket in a folder
    of the system's temporary folder that only the user can enter. None where there are no
    Unix sockets, where that folder is not private (someone else made it), or where its path
    is too long for a socket."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    # A new version of the kata (a new manifest) gets a checker of its own.
    manifest = (ROOT / "kata" / "manifest.json").read_bytes() if (ROOT / "kata" / "manifest.json").exists() else b""
    key = hashlib.sha256(f"{ROOT}\n{sys.executable}\n".encode() + manifest).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"kata-{os.getuid()}-{key}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    path = folder / "checker.sock"
    return path if private and len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def send_message(conn: socket.socket, message: dict) -> None:
    conn.sendall((json.dumps(message) + "\n").encode())


def read_message(conn: socket.socket) -> dict | None:
    """One JSON line from `conn`; None if it closes first or sends something else."""
    line = conn.makefile("rb").readline()
    try:
        message = json.loads(line) if line.endswith(b"\n") else None
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


# --- answering -----------------------------------------------------------------------


def respond(grader: Grader, request: dict) -> dict:
    """Grade the exercise a request names, or run its Try-it cell, in the folder it names,
    as the notebook it came from shows it."""
    from ..catalogue.course import course
    from ..feedback.notebook import check_text
    from ..feedback.style import Style
    from ..grading.target import Origin, Target

    ex = course().find(str(request["exercise"]))
    folder = Path(request["folder"])
    os.chdir(request["cwd"])  # the learner's code runs in the notebook's folder, as in the kernel
    grader.runner.timeout = float(request["timeout"])
    origins = {path: Origin(o["notebook"], tuple(tuple(c) for c in o["cells"]))
               for path, o in request["origins"].items()}
    target = Target("this folder", {c.folder: folder / c.folder for c in course().chapters}, origins=origins)
    style = Style(SimpleNamespace(encoding="utf-8"), color="NO_COLOR" not in os.environ)
    if "code" not in request:
        run = grader.grade([target], [ex])[0]
        return {"text": check_text(run, style, request["notebook"], bool(request.get("verbose")))}
    return try_cell(grader.runner, ex, target, request["code"], style)


def try_cell(runner: Runner, ex: Exercise, target: Target, code: str, style: Style) -> dict:
    """Run a Try-it cell's code against the target's code for `ex`: what it printed, how it
    ended, and the figures it drew (PNG, base64)."""
    from ..exercise_process.example import figure_paths, output_path
    from ..feedback.notebook import try_text
    from ..feedback.render import where
    from ..grading.runner import Job

    # Inside the chapter's folder, so that the cell's lines count as the learner's.
    cell = target.folders[ex.folder] / f"try_{ex.stem}.py"
    cell.write_text(code, encoding="utf-8")
    if "matplotlib" in code:
        _import_matplotlib()
    outcome = runner.run([Job("try", ex, target.folders, example=cell)])["try"]
    try:
        output = output_path(cell).read_text(encoding="utf-8", errors="replace")
    except OSError:
        output = ""

    def place(loc: Location) -> str:
        if loc.file == cell.name:
            return f"this cell, line {loc.line}" + (f": {loc.code}" if loc.code else "")
        return where(target.place(ex, loc), here=target.file(ex))

    return {"text": try_text(outcome, output, place, style),
            "figures": [base64.b64encode(p.read_bytes()).decode() for p in figure_paths(cell)]}


def _import_matplotlib() -> None:
    """Import pyplot here, once, so that the forks find it loaded: its first import builds a
    font cache, which can take longer than the time limit that the learner's code has."""
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass  # the cell says how to install it


def serve(requests: Requests) -> None:
    """Answer each request from inside one warm grading session."""
    from ..catalogue.course import course
    from ..grading.engine import in_session
    from ..grading.runner import DEFAULT_TIMEOUT

    os.environ["MPLBACKEND"] = "Agg"  # figures are drawn into files: a kernel's inline backend is not here

    def loop(grader: Grader) -> None:
        for request, reply in requests:
            try:
                answer = respond(grader, request)
            except Exception:
                answer = {"error": traceback.format_exc()}
            try:
                reply({"id": request.get("id"), **answer})
            except OSError:
                pass  # the kernel that asked has gone

    in_session(loop, list(course().exercises), timeout=DEFAULT_TIMEOUT)


# --- one checker for every kernel (Unix sockets) -------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def connections(listener: socket.socket, kernels: set[int]) -> Requests:
    """Each request that comes in on `listener`, with how to answer it, until every kernel
    that has used the checker has ended, or none has asked for IDLE_SECONDS."""
    listener.settimeout(POLL_SECONDS)
    last = time.monotonic()
    while kernels and time.monotonic() - last < IDLE_SECONDS:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            kernels = {pid for pid in kernels if _alive(pid)}
            continue
        with conn:
            conn.settimeout(10)
            request = read_message(conn)
            if request is None:
                continue
            if isinstance(request.get("kernel"), int):
                kernels.add(request["kernel"])
            if "exercise" in request:  # not only a kernel saying it is there
                yield request, lambda reply: send_message(conn, reply)
                last = time.monotonic()


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def serve_socket(path: Path, kernel: int) -> None:
    """Serve on the socket at `path` for `kernel` and those that come after it, unless
    another checker keeps serving there."""
    import fcntl

    with open(path.with_name("lock"), "w") as lock:
        # A record lock: it ends with this process, and the exercises' forks do not inherit it.
        deadline = time.monotonic() + TAKE_OVER_SECONDS
        while True:
            try:
                fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if _listening(path) or time.monotonic() > deadline:
                    return  # another checker serves here
                time.sleep(0.1)
        path.unlink(missing_ok=True)  # the socket of a checker that died
        with contextlib.suppress(OSError):
            os.truncate(path.with_name("log"), 0)  # what a kernel shows if this checker fails
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(path))
            listener.listen(64)  # kernels that ask while torch loads wait here
            serve(connections(listener, {kernel}))
        finally:
            path.unlink(missing_ok=True)  # first: a kernel that finds no socket starts a checker
            listener.close()


# --- a checker of the kernel's own (no Unix sockets) ---------------------------------


def pipe_requests(replies, idle: float) -> Requests:
    """The requests on stdin, answered on `replies`, until stdin closes or, where select()
    can wait on a pipe, until `idle` seconds pass without one."""

    def reply(message: dict) -> None:
        replies.write(json.dumps(message) + "\n")
        replies.flush()

    for line in _lines(idle):
        try:
            request = json.loads(line)
        except ValueError:
            continue
        if isinstance(request, dict) and "exercise" in request:
            yield request, reply


def _lines(idle: float) -> Iterator[bytes]:
    if sys.platform == "win32":
        yield from sys.stdin.buffer
        return
    buffer = b""
    while True:
        while b"\n" not in buffer:
            if not select.select([0], [], [], idle)[0]:
                return
            chunk = os.read(0, 1 << 16)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        yield line


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m kata.notebooks.server", description=__doc__.splitlines()[0])
    p.add_argument("--socket", type=Path, help="serve every kernel on this Unix socket")
    p.add_argument("--kernel", type=int, help="the kernel that starts the checker (with --socket)")
    p.add_argument("--pipe", action="store_true", help="serve one kernel on stdin and stdout")
    args = p.parse_args(argv)
    if args.socket is not None and args.kernel is not None:
        serve_socket(args.socket, args.kernel)
    elif args.pipe:
        # Answers go to the original stdout only; anything else that prints goes nowhere.
        replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        serve(pipe_requests(replies, IDLE_SECONDS))
    else:
        p.error("give --socket PATH --kernel PID, or --pipe")


if __name__ == "__main__":
    main(sys.argv[1:])
