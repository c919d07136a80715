"""The grader behind a notebook's check cell: `python -m kata.notebooks.server`.

A notebook's kernel starts this process once. It imports torch and pytest and collects
the tests once, then grades one exercise per request exactly as `python grader.py check`
does: each run in a process forked from this warm one, with the same tests, isolation
and time limit. Requests and answers are JSON lines on stdin and stdout; the process
ends when its stdin closes, which happens when the kernel ends.
"""

from __future__ import annotations

import json
import os
import select
import sys
import traceback
from pathlib import Path
from types import SimpleNamespace

from ..catalogue.course import course
from ..feedback.notebook import check_text
from ..feedback.style import Style
from ..grading.engine import Grader
from ..grading.target import Origin, Target


def answer(grader: Grader, request: dict) -> dict:
    """Grade the exercise a request names, in the folder it names, as the notebook it came from."""
    ex = course().find(str(request["exercise"]))
    folder = Path(request["folder"])
    grader.runner.timeout = float(request["timeout"])
    origins = {path: Origin(o["notebook"], tuple(tuple(c) for c in o["cells"]))
               for path, o in request.get("origins", {}).items()}
    target = Target(request.get("name", "this folder"), {c.folder: folder / c.folder for c in course().chapters},
                    origins=origins)
    run = grader.grade([target], [ex])[0]
    style = Style(SimpleNamespace(encoding="utf-8"), color="NO_COLOR" not in os.environ)
    text = check_text(run, style, request.get("notebook", ""), bool(request.get("verbose")))
    return {"status": str(run.exercises[0].status), "text": text}


# A grader nobody asked for this long ends, to give back its memory; the next check starts
# another one.
IDLE_SECONDS = 20 * 60


def requests(idle: float):
    """The request lines on stdin, until it closes or, where select() can wait on a pipe,
    until `idle` seconds pass without one."""
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


def serve() -> None:
    from ..grading.engine import in_session
    from ..grading.runner import DEFAULT_TIMEOUT

    # Answers go to the original stdout only; anything else that prints goes nowhere.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)

    def send(reply: dict) -> None:
        replies.write(json.dumps(reply) + "\n")
        replies.flush()

    def loop(grader: Grader) -> None:
        for line in requests(IDLE_SECONDS):
            try:
                request = json.loads(line)
            except ValueError:
                continue
            try:
                reply = answer(grader, request)
            except Exception:
                reply = {"error": traceback.format_exc()}
            send({"id": request.get("id"), **reply})

    in_session(loop, list(course().exercises), timeout=DEFAULT_TIMEOUT)


if __name__ == "__main__":
    serve()
