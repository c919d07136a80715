"""The checker behind a notebook's check and Try-it cells: `python -m kata.notebooks.server`.

It imports torch and pytest and collects the tests once, then answers one request at a
time: a check grades one exercise exactly as `python grader.py check` does, and a Try-it
runs a cell's code against the learner's code. Either runs in a process forked from this
warm one (a fresh Python where the system cannot fork), with the grader's time limit.
A request is one JSON line and its answer another, carrying the request's id.

Where there are Unix sockets, one checker serves every notebook that its user has open
with this kata and this Python, on the socket `address` names. The first kernel that needs
it starts it, and it ends when the last kernel has gone, or after a long idle time.
Elsewhere (Windows) each kernel starts a checker of its own (`--pipe`), which answers on
stdout the requests of its stdin, and ends when that closes with the kernel.
"""

from __future__ import annotations

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
from ..catalogue.course import course
from ..feedback.notebook import check_text, try_text
from ..feedback.render import where
from ..feedback.style import Style
from ..grading.runner import DEFAULT_TIMEOUT, Job
from ..grading.target import Origin, Target
from ..outcomes import Location, json_line

if TYPE_CHECKING:  # torch and pytest are imported once the checker holds the socket
    from ..grading.engine import Grader

# A checker nobody asked for this long ends, to give back its memory; the next check
# starts another one.
IDLE_SECONDS = 20 * 60
# How long a new checker waits for one that is ending to let go of the socket.
TAKE_OVER_SECONDS = 5.0
# The longest path of a Unix socket on every system that has them.
MAX_SOCKET_PATH = 100

Requests = Iterator[tuple[dict, Callable[[dict], None]]]  # each request, and how to answer it


def address() -> Path | None:
    """Where this user's checker for this kata and this Python listens: a socket in a folder
    of the system's temporary folder that only the user can enter. None where there are no
    Unix sockets, where that folder is not private (someone else made it), or where its path
    is too long for a socket."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    # A new version of the kata (a new manifest) gets a checker of its own.
    manifest = ROOT / "kata" / "manifest.json"
    version = f"{ROOT}\n{sys.executable}\n".encode() + (manifest.read_bytes() if manifest.exists() else b"")
    folder = Path(tempfile.gettempdir()) / f"kata-{os.getuid()}-{hashlib.sha256(version).hexdigest()[:16]}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    path = folder / "checker.sock"
    return path if private and len(os.fsencode(path)) <= MAX_SOCKET_PATH else None


def encode(message: dict) -> bytes:
    return (json.dumps(message) + "\n").encode()


def respond(grader: Grader, request: dict) -> dict:
    """Grade the exercise a request names, or run its Try-it cell (`code`), in the folder it
    names, as the notebook it came from shows it; a Try-it's answer has the figures it drew."""
    from ..exercise_process.example import results

    ex = course().find(str(request["exercise"]))
    folder = Path(request["folder"])
    os.chdir(request["cwd"])  # the learner's code runs in the notebook's folder, as in the kernel
    grader.runner.timeout = float(request["timeout"])
    origins = {path: Origin(**o) for path, o in request["origins"].items()}
    target = Target("this folder", {c.folder: folder / c.folder for c in course().chapters}, origins=origins)
    style = Style(SimpleNamespace(encoding="utf-8"), color="NO_COLOR" not in os.environ)
    if "code" not in request:
        run = grader.grade([target], [ex])[0]
        return {"text": check_text(run, style, request["notebook"], bool(request.get("verbose")))}
    # In the chapter's folder, so that the cell's lines count as the learner's.
    cell = target.folders[ex.folder] / f"try_{ex.stem}.py"
    cell.write_text(request["code"], encoding="utf-8")
    if "matplotlib" in request["code"]:
        # Imported here, once, so that the forks find it loaded: its first import builds a
        # font cache, which can take longer than the learner's code has.
        with contextlib.suppress(ImportError):  # the cell says how to install it
            import matplotlib.pyplot  # noqa: F401
    outcome = grader.runner.run([Job("try", ex, target.folders, example=cell)])["try"]
    printed, figures = results(cell)

    def place(loc: Location) -> str:
        if loc.file == cell.name:
            return f"this cell, line {loc.line}" + (f": {loc.code}" if loc.code else "")
        return where(target.place(ex, loc), here=target.file(ex))

    return {"text": try_text(outcome, printed, place, style), "figures": [base64.b64encode(f).decode() for f in figures]}


def serve(requests: Requests) -> None:
    """Answer each request from inside one warm grading session."""
    from ..grading.engine import in_session

    os.environ["MPLBACKEND"] = "Agg"  # figures are drawn into files: a kernel's inline backend is not here

    def loop(grader: Grader) -> None:
        for request, reply in requests:
            try:
                answer = respond(grader, request)
            except Exception:
                answer = {"error": traceback.format_exc()}
            with contextlib.suppress(OSError):  # the kernel that asked has gone
                reply({"id": request.get("id"), **answer})

    in_session(loop, list(course().exercises), timeout=DEFAULT_TIMEOUT)


def connections(listener: socket.socket) -> Requests:
    """The requests of the kernels that connect to `listener`, until the last of them has
    gone or none has asked for IDLE_SECONDS."""
    kernels: dict[socket.socket, bytes] = {}  # each kernel's connection, and the start of its next line
    last, anyone = time.monotonic(), False
    while kernels or not anyone:
        ready = select.select([listener, *kernels], [], [], max(0.0, last + IDLE_SECONDS - time.monotonic()))[0]
        if not ready:
            return
        for conn in ready:
            if conn is listener:
                kernels[listener.accept()[0]] = b""
                anyone = True
                continue
            try:
                data = conn.recv(1 << 16)
            except OSError:
                data = b""
            if not data:  # the kernel has ended
                del kernels[conn]
                conn.close()
                continue
            *lines, kernels[conn] = (kernels[conn] + data).split(b"\n")
            for request in filter(None, map(json_line, lines)):
                yield request, lambda answer, conn=conn: conn.sendall(encode(answer))
                last = time.monotonic()


def serve_socket(path: Path) -> None:
    """Serve the kernels that connect to the socket at `path`, unless another checker serves there."""
    import fcntl

    with open(path.with_name("lock"), "w") as lock:
        # A record lock: it ends with this process, and the exercises' forks do not inherit it.
        deadline = time.monotonic() + TAKE_OVER_SECONDS
        while True:
            try:
                fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                # The socket is there while another checker serves; one that is ending has removed it.
                if path.exists() or time.monotonic() > deadline:
                    return
                time.sleep(0.1)
        path.unlink(missing_ok=True)  # the socket of a checker that died
        with contextlib.suppress(OSError):
            os.truncate(path.with_name("log"), 0)  # what a kernel shows if this checker fails
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(path))
            listener.listen(64)  # kernels that connect while torch loads wait here
            try:
                serve(connections(listener))
            finally:
                path.unlink(missing_ok=True)  # first: a kernel that finds no socket starts a checker


def pipe_requests() -> Requests:
    """The requests on stdin, answered on stdout, until stdin closes or, where select() can
    wait on a pipe, none has come for IDLE_SECONDS."""
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # answers go to the original stdout only; anything else printed, nowhere
    os.close(devnull)
    stdin = sys.stdin.buffer.raw  # unbuffered: select() then sees every line not yet read

    def reply(answer: dict) -> None:
        replies.write(encode(answer))
        replies.flush()

    while sys.platform == "win32" or select.select([stdin], [], [], IDLE_SECONDS)[0]:
        line = stdin.readline()
        if not line:
            return
        if (request := json_line(line)) is not None:
            yield request, reply


def main(argv: list[str]) -> None:
    if argv == ["--pipe"]:
        serve(pipe_requests())
    elif len(argv) == 2 and argv[0] == "--socket":
        serve_socket(Path(argv[1]))
    else:
        sys.exit("usage: python -m kata.notebooks.server --socket PATH | --pipe")


if __name__ == "__main__":
    main(sys.argv[1:])
