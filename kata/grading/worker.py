"""One exercise graded in a fresh Python: the fallback where the system cannot fork.

    python -P -m kata.grading.worker JOB

kata.grading.runner starts it with JOB, a JSON object (see Runner._start_fresh). It collects
only the exercise's test file, then grades exactly as a forked process does (the same guards
and tripwire), or runs a notebook's Try-it cell instead, and appends one JSON line per event
to the events file. The first, "ready", tells the runner that Python and torch have started:
the exercise's time limit runs from there. The files are opened before the learner's code
runs as the user given, if any.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path


def main(job: dict) -> int:
    from ..catalogue.course import course
    from ..exercise_process import example, run
    from ..outcomes import Ready
    from .warm import warm_up
    from .session import run_session

    ex = course().find(job["exercise"])
    events = os.open(job["events"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    send = run.sender(events)
    folders = {name: Path(folder) for name, folder in job["folders"].items()}
    warm_up()

    def body(collection) -> None:
        run.isolate(Path(job["fault"]), tuple(job["user"]) if job["user"] else None, keep=(events,))
        send(Ready())
        if job["example"] is not None:
            example.run(ex, folders, Path(job["example"]), send)
        else:
            run.grade(ex, collection.for_exercise(ex), folders, job["reset_hint"], send)

    run_session(body, Path(job["tests"]), [ex])
    return 0


if __name__ == "__main__":
    status = 1  # the grader itself failed: the runner reports that no test could run
    try:
        status = main(json.loads(sys.argv[1]))
    except BaseException:
        traceback.print_exc()
    finally:
        # Whatever learner code left behind (threads, atexit handlers) must not keep
        # this process alive: the events are what count.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
