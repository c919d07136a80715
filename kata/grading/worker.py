"""One exercise graded in a fresh Python: the fallback where the system cannot fork.

    python -P -m kata.grading.worker --tests T --exercise ID --folders JSON --events FILE --fault F
        [--example CELL] [--user UID:GID]

kata.grading.runner starts it. It collects only the exercise's test file, then grades
exactly as a forked process does (kata.exercise_process.run: the same guards and
tripwire), or runs a notebook's Try-it cell instead (kata.exercise_process.example), and
appends one JSON line per event to FILE. Its first line, "ready", tells the runner that
Python and torch have started, so the exercise's time limit runs from there. With --user,
the learner's code runs as that user (FILE and F are opened before).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m kata.grading.worker", description=__doc__.splitlines()[0])
    p.add_argument("--tests", required=True, type=Path)
    p.add_argument("--exercise", required=True)
    p.add_argument("--folders", required=True, type=json.loads)
    p.add_argument("--reset-hint", default="")
    p.add_argument("--events", required=True, type=Path)
    p.add_argument("--fault", required=True, type=Path)
    p.add_argument("--example", type=Path)
    p.add_argument("--user", type=lambda text: tuple(int(n) for n in text.split(":")), default=None)
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    from ..catalogue.course import course
    from ..exercise_process import example, run
    from .engine import warm_up
    from .session import run_session

    ex = course().find(args.exercise)
    if ex is None:
        print(f"kata.grading.worker: unknown exercise '{args.exercise}'", file=sys.stderr)
        return 2
    send = run.sender(os.open(args.events, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
    warm_up()

    def body(collection) -> None:
        run.isolate(args.fault, args.user)
        send({"event": "ready"})
        folders = {name: Path(folder) for name, folder in args.folders.items()}
        if args.example is not None:
            example.run(ex, folders, args.example, send)
        else:
            run.grade(ex, collection.for_exercise(ex), folders, args.reset_hint, send)

    run_session(body, args.tests, [ex])
    return 0


if __name__ == "__main__":
    status = 1  # the grader itself failed: the runner reports that no test could run
    try:
        status = main(sys.argv[1:])
    except SystemExit as e:  # a bad command line
        status = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        # Whatever learner code left behind (threads, atexit handlers) must not keep
        # this process alive: the events are what count.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
