"""What a kata notebook calls in its kernel: `kata.check("04")`, `kata.hint("04")`,
`kata.earlier("mse_loss", ...)` and `kata.start_grader()`.

The kernel never runs the tests itself. A check writes the code as it stands in the
kernel (the last run of the cell that defines the exercise's function) and the earlier
exercises (from the notebooks in the same folder, as saved) to a scratch folder, and
asks a separate grading process (kata.notebook_grader) to grade it. So a check uses
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

from . import ROOT
from .meta import Exercise, chapter
from .notebook_target import needed, notebooks_to_folder, read_sources, relabeller, why_absent, write_exercise
from .runner import DEFAULT_TIMEOUT

# Importing torch and collecting the tests the first time takes a while on a slow machine.
START_SECONDS = 180

_grader: subprocess.Popen | None = None
_log = None  # the grading process's stderr, read when it fails
_replies: queue.Queue = queue.Queue()
_ids = itertools.count(1)
_scratch: tempfile.TemporaryDirectory | None = None  # earlier()'s copies, for the kernel's life
_loads = itertools.count(1)


def _exercise(key: str) -> Exercise:
    ex = chapter().find(str(key))
    if ex is None:
        raise ValueError(f"there is no exercise {key!r}: the exercises are {chapter().valid_names()}")
    return ex


def folder() -> Path:
    """Where this notebook and its siblings are: Jupyter starts a kernel in its notebook's folder."""
    return Path.cwd()


def _why_absent(ex: Exercise, here: Path, problems: dict[str, str]) -> str:
    if not any((here / f"{e.stem}.ipynb").exists() for e in chapter().exercises):
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
        [sys.executable, "-m", "kata.notebook_grader"], stdin=subprocess.PIPE,
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
        work = Path(tmp) / "target"
        problems = notebooks_to_folder(here, work)
        write_exercise(work, ex, [code], "this notebook")
        absent = [e for e in needed(ex) if not (work / e.file).exists()]
        if absent:
            print(f"Exercise {ex.id} could not be checked: {ex.name} uses {absent[0].name} from "
                  f"exercise {absent[0].id}. {_why_absent(absent[0], here, problems)}")
            return
        reply = _ask({"folder": str(work), "exercise": ex.id, "timeout": timeout, "verbose": verbose},
                     START_SECONDS + timeout)
    if "error" in reply:
        print(f"The check could not run: {reply['error'].strip().splitlines()[-1]}\n"
              "Run this cell again; if that does not help, restart the kernel.")
        return
    print(reply["text"])


def hint(exercise: str) -> None:
    """The next hint for the exercise; each call gives the next, stronger one."""
    from .hints import next_hint

    ex = _exercise(exercise)
    number, text = next_hint(ex)
    print(f"Hint {number} of {len(ex.hints)} for exercise {ex.id} ({ex.name}):\n")
    print("\n".join("  " + line for line in text.splitlines()))
    print(f'\nRun kata.hint("{ex.id}") again for the next one.' if number < len(ex.hints)
          else "\nThat was the last hint.")


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
    problems = notebooks_to_folder(here, work)
    sources = read_sources(work)
    package = types.ModuleType(f"kata_notebooks_{n}")
    package.__path__ = [str(work)]
    sys.modules[package.__name__] = package
    found = []
    for name in names:
        ex = next((e for e in chapter().exercises if e.name == name), None)
        if ex is None:
            raise ValueError(f"{name!r} is not a function of the kata: they are "
                             f"{', '.join(e.name for e in chapter().exercises)}")
        if ex.file not in sources:
            why = f"{name} could not be loaded. {_why_absent(ex, here, problems)}"
            print(why)
            found.append(_stand_in(name, why))
            continue
        try:
            found.append(getattr(importlib.import_module(f"{package.__name__}.{ex.stem}"), name))
        except Exception as e:
            why = (f"{name} could not be loaded from {sources[ex.file]['notebook']}: "
                   f"{type(e).__name__}: {relabeller(sources)(str(e))}. Fix it there, save it, "
                   "and run this cell again.")
            print(why)
            found.append(_stand_in(name, why))
    return found[0] if len(found) == 1 else tuple(found)
