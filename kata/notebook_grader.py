"""The grader behind a notebook's check cell: `python -m kata.notebook_grader`.

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
import textwrap
import traceback
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from .meta import chapter
from .notebook_target import read_sources, relabel
from .report import COLORS, LABELS, loss_curves, test_details
from .style import Style
from .verdict import ExerciseResult


def render(r: ExerciseResult, note: str, s: Style, verbose: bool = False) -> str:
    """The grader's teaching feedback on one exercise, worded for a notebook."""
    ex = r.exercise
    head = (f"{s.symbol(r.status)} Exercise {ex.id} ({ex.name}): {LABELS[r.status]}, "
            f"{r.score:g}/{ex.points:g} points")
    lines = [s(head, "bold", COLORS[r.status])]
    if r.status == "pass":
        lines += ["  " + line for line in loss_curves(r, s)]
        later = next((e for e in chapter().exercises if e.number > ex.number), None)
        lines.append(f"  Well done! Next: exercise {later.id}, in {later.stem}.ipynb." if later
                     else "  Well done! That was the last exercise of the chapter.")
    elif r.status == "not_started":
        lines += [textwrap.indent(r.message, "  "), f"  {ex.concept}", f"  Read: {', '.join(ex.docs)}."]
    elif r.status == "fail":
        failing = [t for t in r.tests if t.status != "pass"]
        shown = failing if verbose else failing[:1]
        lines += test_details(replace(r, tests=shown), s, every=True)
        if len(failing) > len(shown):
            more = len(failing) - len(shown)
            lines.append(s(f"  ({more} more failing test{'s' if more > 1 else ''}: "
                           f'kata.check("{ex.id}", verbose=True) shows every one)', "dim"))
    else:
        lines.append(textwrap.indent(r.message, "  "))
    if r.where:
        lines.append(s(f"  Look at {r.where}.", "dim"))
    if r.status != "pass":
        lines.append(f'  Stuck? kata.hint("{ex.id}") gives a hint.')
    if note:
        lines.append(s(f"Note: {note}", "yellow"))
    return "\n".join(lines)


def answer(collection, runner, request: dict) -> dict:
    """Grade the exercise a request names, in the folder it names."""
    from . import manifest
    from .engine import grade_targets

    ex = chapter().find(str(request["exercise"]))
    folder = Path(request["folder"])
    runner.timeout = float(request["timeout"])
    run = grade_targets(collection, runner, [folder], [ex])[0]
    run.changed_files = manifest.changed_files()
    result = relabel(run.exercises[0], read_sources(folder), this=ex.file)
    style = Style(SimpleNamespace(encoding="utf-8"), color="NO_COLOR" not in os.environ)
    text = render(result, run.changed_note, style, bool(request.get("verbose")))
    return {"status": result.status, "text": text}


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
    from .engine import make_runner, warm_up
    from .runner import DEFAULT_TIMEOUT
    from .session import run_session

    # Answers go to the original stdout only; anything else that prints goes nowhere.
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    warm_up()
    runner = make_runner(DEFAULT_TIMEOUT, None)

    def send(reply: dict) -> None:
        replies.write(json.dumps(reply) + "\n")
        replies.flush()

    def loop(collection) -> None:
        for line in requests(IDLE_SECONDS):
            try:
                request = json.loads(line)
            except ValueError:
                continue
            try:
                reply = answer(collection, runner, request)
            except Exception:
                reply = {"error": traceback.format_exc()}
            send({"id": request.get("id"), **reply})

    try:
        run_session(loop)
    finally:
        runner.close()


if __name__ == "__main__":
    serve()
