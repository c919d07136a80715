"""What a kata notebook calls in its kernel: `kata.check("04")`, `kata.hint("04")`,
`kata.earlier("mse_loss", ...)` and `kata.start_grader()`.

The kernel never runs the tests itself. A check writes the code as it stands in the
kernel (the last run of the cell that defines the exercise's function) and the earlier
exercises (from the notebooks in the same folder, as saved) to a scratch folder, and
asks a separate grading process (kata.notebooks.server) to grade it. So a check uses
the grader's own tests, isolation and time limit, and nothing a test does can stop or
hang the notebook.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import types
from pathlib import Path

from dataclasses import asdict

from .. import ROOT
from ..catalogue.course import Exercise, course
from ..catalogue.depends import uses
from ..exercise_process.explain import learner_frame
from ..feedback.render import where
from ..grading.runner import DEFAULT_TIMEOUT
from ..grading.target import Target
from .convert import notebooks_to_folder, why_absent, write_exercise

# Importing torch and collecting the tests the first time takes a while on a slow machine.
START_SECONDS = 180

_grader: subprocess.Popen | None = None
_log = None  # the grading process's stderr, read when it fails
_replies: queue.Queue = queue.Queue()
_ids = itertools.count(1)
_scratch: tempfile.TemporaryDirectory | None = None  # earlier()'s copies, for the kernel's life
_loads = itertools.count(1)


def _exercise(key: str) -> Exercise:
    ex = course().find(str(key))
    if ex is None:
        raise ValueError(course().unknown(str(key)))
    return ex


def folder() -> Path:
    """Where this notebook and its siblings are: Jupyter starts a kernel in its notebook's folder."""
    return Path.cwd()


def _why_absent(ex: Exercise, here: Path, problems: dict[str, str]) -> str:
    if not any((here / f"{e.stem}.ipynb").exists() for e in course().exercises):
        return (f"This notebook runs in {here}, where there are no notebooks of the kata. Jupyter "
                "usually runs a notebook in its own folder; yours does not, so say where the "
                "notebooks are with `import os; os.chdir(\"path/to/the/notebooks\")` and run this "
                "cell again.")
    return why_absent(ex, str(here), problems)


# --- the grading process -------------------------------------------------------------


def _read_replies(stream, replies: queue.Queue) -> None:
    for line in stream:
        try:
            replies.put(json.loads(line))
        except ValueError:
            continue
    replies.put(None)  # the process ended


def start_grader() -> None:
    """Start the grading process in the background, unless it is already running."""
    global _grader, _replies, _log
    if _grader is not None and _grader.poll() is None:
        return
    _log = tempfile.TemporaryFile()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # A session of its own: interrupting or killing the kernel's process group leaves the
    # grader to finish, clean up and end when it sees its stdin close.
    _grader = subprocess.Popen(
        [sys.executable, "-m", "kata.notebooks.server"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=_log, env=env, text=True, encoding="utf-8",
        start_new_session=True,
    )
    _replies = queue.Queue()
    threading.Thread(target=_read_replies, args=(_grader.stdout, _replies), daemon=True).start()


def _stop_grader() -> str:
    """End the grading process; return what it wrote to stderr."""
    global _grader
    if _grader is None:
        return ""
    _grader.kill()
    _grader.wait()
    _log.seek(0)
    text = _log.read().decode(errors="replace")
    _grader = None
    return text


def _ask(request: dict, seconds: float, retry: bool = True) -> dict:
    """Send one request to the grading process and wait for its answer. A process that has
    ended (after a long idle time, or a crash) is started again, once."""
    start_grader()
    message = dict(request, id=next(_ids))
    try:
        _grader.stdin.write(json.dumps(message) + "\n")
        _grader.stdin.flush()
    except OSError:
        reply = None
    else:
        while True:
            try:
                reply = _replies.get(timeout=seconds)
            except queue.Empty:
                _stop_grader()
                return {"error": f"the grader did not answer within {seconds:g} s"}
            if reply is None or reply.get("id") == message["id"]:  # older ids: interrupted checks
                break
    if reply is not None:
        return reply
    log = _stop_grader()
    if retry:
        return _ask(request, seconds, retry=False)
    return {"error": log or "the grading process ended"}


# --- the learner's code --------------------------------------------------------------


def _defines(source: str, name: str) -> bool:
    """Whether a cell defines `name`; a cell that does not parse counts if it looks like it
    tries to, so that the check reports its syntax error rather than grading older code."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.search(rf"^def\s+{name}\s*\(", source, re.MULTILINE) is not None
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
               for n in tree.body)


def code_in_kernel(ex: Exercise) -> str | None:
    """The last cell run in this kernel that defines the exercise's function."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None:
        for source in reversed(shell.history_manager.input_hist_raw):
            if _defines(source, ex.name):
                return source
    fn = (shell.user_ns if shell is not None else vars(sys.modules["__main__"])).get(ex.name)
    try:
        return inspect.getsource(fn) if callable(fn) else None
    except (OSError, TypeError):
        return None


# --- what the notebook calls ---------------------------------------------------------


def check(exercise: str, verbose: bool = False, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run the exercise's tests against your code as it stands in this notebook; with
    verbose=True, show every failing test, not only the first."""
    ex = _exercise(exercise)
    code = code_in_kernel(ex)
    if code is None:
        print(f"There is no {ex.name} in this notebook yet: run your code cell (under "
              "\u201cYour code\u201d) first, then this check.")
        return
    here = folder()
    with tempfile.TemporaryDirectory(prefix="kata-check-") as tmp:
        work = Path(tmp)
        origins, problems = notebooks_to_folder(here, work)
        mine = f"{ex.stem}.ipynb"
        origins[ex.path] = write_exercise(work, ex, [code], mine)
        absent = [e for e in uses(ex) if e.path not in origins]
        if absent:
            print(f"Exercise {ex.id} could not be checked: {ex.name} uses {absent[0].name} from "
                  f"exercise {absent[0].id}. {_why_absent(absent[0], here, problems)}")
            return
        request = {"folder": str(work), "exercise": ex.id, "timeout": timeout, "verbose": verbose,
                   "notebook": mine, "origins": {path: asdict(o) for path, o in origins.items()}}
        reply = _ask(request, START_SECONDS + timeout)
    if "error" in reply:
        print(f"The check could not run: {reply['error'].strip().splitlines()[-1]}\n"
              "Run this cell again; if that does not help, restart the kernel.")
        return
    print(reply["text"])


def hint(exercise: str, again: int | None = None) -> None:
    """The next hint for the exercise; each call gives the next, stronger one. With `again`,
    that hint once more (one you have seen)."""
    from ..catalogue.hints import hint as next_hint, hint_lines

    ex = _exercise(exercise)
    number, text = next_hint(ex, again)
    print("\n".join(hint_lines(ex, number, text)))
    print(f'\nRun kata.hint("{ex.id}") again for the next one.' if number < len(ex.hints)
          else "\nThat was the last hint.")
    if number > 1:
        print(f'kata.hint("{ex.id}", N) shows hint N again, N from 1 to {number}.')


class NotAvailable(NotImplementedError):
    """Stands in for an earlier function that could not be loaded: calling it says why."""


def _stand_in(name: str, why: str):
    def unavailable(*args, **kwargs):
        raise NotAvailable(why)

    unavailable.__name__ = name
    return unavailable


def earlier(*names: str):
    """Your functions from the earlier exercises, loaded from their notebooks in this
    folder as last saved. One name gives one function; several give a tuple."""
    global _scratch
    here = folder()
    if _scratch is None:
        _scratch = tempfile.TemporaryDirectory(prefix="kata-earlier-")
    n = next(_loads)  # a fresh package each time: a changed notebook is loaded anew
    work = Path(_scratch.name) / str(n)
    origins, problems = notebooks_to_folder(here, work)
    target = Target(str(here), {c.folder: work / c.folder for c in course().chapters}, origins=origins)
    prefixes = tuple(f"{work / c.folder}{os.sep}" for c in course().chapters)
    found = []
    for name in names:
        ex = next((e for e in course().exercises if e.name == name), None)
        if ex is None:
            raise ValueError(f"{name!r} is not a function or class of the kata: they are "
                             f"{', '.join(e.name for e in course().exercises)}")
        if ex.path not in origins:
            why = f"{name} could not be loaded. {_why_absent(ex, here, problems)}"
            print(why)
            found.append(_stand_in(name, why))
            continue
        package = f"kata_notebooks_{n}_{ex.folder}"
        if package not in sys.modules:
            sys.modules[package] = types.ModuleType(package)
            sys.modules[package].__path__ = [str(work / ex.folder)]
        try:
            found.append(getattr(importlib.import_module(f"{package}.{ex.stem}"), name))
        except Exception as e:
            place = target.place(ex, learner_frame(e, prefixes))
            at = f" (at {where(place)})" if place is not None else ""
            why = (f"{name} could not be loaded from {origins[ex.path].notebook}{at}: "
                   f"{type(e).__name__}: {e}. Fix it there, save it, and run this cell again.")
            print(why)
            found.append(_stand_in(name, why))
    return found[0] if len(found) == 1 else tuple(found)
