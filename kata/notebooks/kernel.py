"""What a kata notebook calls in its kernel: `kata.check("04")`, the `%%try_it 04` cell magic
of its Try-it cells, `kata.hint("04")`, `kata.earlier("mse_loss", ...)` and
`kata.start_grader()`.

The kernel never runs the learner's code for the kata. A check or a Try-it cell writes the
code as it stands in the kernel (the last run of the cell that defines the exercise's
function) and the earlier exercises (from the notebooks in the same folder, as saved) to a
scratch folder, and asks the checker (kata.notebooks.server) to grade it, or to run the
cell against it. So the two use the same code, and the grader's own tests, isolation and
time limit: nothing the learner's code does can stop or hang the notebook.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import importlib
import inspect
import itertools
import json
import os
import queue
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

from .. import ROOT
from ..catalogue.course import Exercise, course
from ..catalogue.depends import uses
from ..exercise_process.explain import learner_frame
from ..feedback.notebook import WIDTH
from ..feedback.render import where, wrap
from ..feedback.style import Style
from ..grading.runner import DEFAULT_TIMEOUT
from ..grading.target import Target
from . import server
from .convert import cell_source, notebooks_to_folder, read_notebook, why_absent, write_exercise

# Importing torch and collecting the tests the first time takes a while on a slow machine.
START_SECONDS = 180
# A checker that was just started listens within a second; this allows for a busy machine.
CONNECT_SECONDS = 30

try:
    from IPython import get_ipython

    SHELL = get_ipython()  # None outside Jupyter: the learner's code is then looked for in __main__
except ImportError:
    SHELL = None
_scratch = tempfile.TemporaryDirectory(prefix="kata-kernel-")  # for the kernel's life
_loads = itertools.count(1)
_ids = itertools.count(1)
# The source of each cell run since this module was imported (without the newlines at its
# end, as IPython's history keeps it) -> when it last started.
_ran: dict[str, float] = {}


def _say(text: str, *styles: str) -> None:
    """Print `text` wrapped at words to the width of the notebook's output."""
    s = Style(None, color="NO_COLOR" not in os.environ)
    print("\n".join(s(line, *styles) for line in wrap(text, WIDTH)))


def _exercise(key: str) -> Exercise | None:
    """The exercise `key` names; None, after saying so in one line, for a key that names none."""
    ex = course().find(str(key))
    if ex is None:
        why = course().unknown(str(key))
        _say(why[0].upper() + why[1:])
    return ex


def _why_absent(ex: Exercise, here: Path, problems: dict[str, str]) -> str:
    if not any((here / f"{e.stem}.ipynb").exists() for e in course().exercises):
        return (f"This notebook runs in {here}, where there are no notebooks of the kata. Jupyter "
                "usually runs a notebook in its own folder; yours does not, so say where the "
                "notebooks are with `import os; os.chdir(\"path/to/the/notebooks\")` and run this "
                "cell again.")
    return why_absent(ex, str(here), problems)


def _start(args: list[str], **streams) -> subprocess.Popen:
    """A checker, in a session of its own: interrupting or killing the kernel's process group
    leaves it to finish its work and end in its own time."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-m", "kata.notebooks.server", *args], env=env,
                            start_new_session=True, **streams)


def _connect(path: Path) -> socket.socket:
    """A connection to the checker listening at `path`, started first if there is none."""
    starter, starts = None, 0
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        conn = socket.socket(socket.AF_UNIX)
        try:
            conn.connect(str(path))
            return conn
        except OSError:
            conn.close()
            # A checker that failed to start, three times over, will not start.
            if time.monotonic() > deadline or (starts == 3 and starter.poll() is not None):
                raise
        if starter is None or starter.poll() is not None:
            with open(path.with_name("log"), "ab") as log:
                starter = _start(["--socket", str(path)], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=log)
            starts += 1
        time.sleep(0.05)


class _Link:
    """This kernel's connection to a checker, for as long as both run. Answers are read by a
    thread, so that waiting for one can time out."""

    def __init__(self, path: Path | None, send: Callable[[bytes], None], answers: Iterable[bytes],
                 close: Callable[[], None]) -> None:
        self.path, self.send, self.close = path, send, close
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, args=(answers,), daemon=True).start()

    def _read(self, answers: Iterable[bytes]) -> None:
        with contextlib.suppress(OSError):  # a checker that was killed may reset the connection
            for line in answers:
                with contextlib.suppress(ValueError):
                    self.answers.put(json.loads(line))
        self.answers.put(None)  # the checker has ended

    def ask(self, request: dict, seconds: float) -> dict | None:
        """The answer to `request`, or None if the checker ended first; TimeoutError after `seconds`."""
        request = dict(request, id=next(_ids))
        try:
            self.send(server.encode(request))
        except OSError:
            return None
        while True:
            try:
                answer = self.answers.get(timeout=seconds)
            except queue.Empty:
                raise TimeoutError from None
            if answer is None or answer.get("id") == request["id"]:  # older ids: interrupted requests
                return answer


def _log(path: Path | None) -> Path:
    """Where the checker at `path` (None: the kernel's own) writes what went wrong."""
    return path.with_name("log") if path is not None else Path(_scratch.name) / "checker.log"


def _open(path: Path | None) -> _Link:
    """A link to the user's checker at `path`, started if need be; or, where there is none
    (no Unix sockets), to a new checker of this kernel's own, on its stdin and stdout."""
    if path is not None:
        conn = _connect(path)
        return _Link(path, conn.sendall, conn.makefile("rb"), lambda: conn.shutdown(socket.SHUT_RDWR))
    with open(_log(None), "wb") as log:
        proc = _start(["--pipe"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)

    def send(data: bytes) -> None:
        proc.stdin.write(data)
        proc.stdin.flush()

    return _Link(None, send, proc.stdout, proc.kill)


_link: _Link | None = None


def _linked() -> _Link:
    """The link to the checker that serves this kernel now."""
    global _link
    path = server.address()
    if _link is not None and _link.path != path:  # a new version of the kata has a checker of its own
        _unlink()
    _link = _link or _open(path)
    return _link


def _unlink() -> None:
    global _link
    if _link is not None:
        with contextlib.suppress(OSError):
            _link.close()
        _link = None


def _ask(request: dict, seconds: float) -> dict:
    """Send one request to the checker and wait for its answer."""
    problem = "the checker ended before it answered"
    for _ in range(2):  # a checker that ends as the request comes (idle, or killed) is started again, once
        try:
            answer = _linked().ask(request, seconds)
        except TimeoutError:
            _unlink()
            return {"error": f"the checker did not answer within {seconds:g} s"}
        except OSError as e:
            answer, problem = None, f"the checker could not be reached ({e.strerror or e})"
        if answer is not None:
            return answer
        _unlink()
    try:
        log = _log(server.address()).read_text(errors="replace")
    except OSError:
        log = ""
    return {"error": log or problem}


def start_grader() -> None:
    """Get the checker ready in the background, so that the first check answers sooner."""
    with contextlib.suppress(OSError):  # if it cannot start, the check says why
        _linked()


def _defines(source: str, name: str) -> bool:
    """Whether a cell defines `name` (a function or a class); a cell that does not parse counts if it looks like it
    tries to, so that the check reports its syntax error rather than grading older code."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return re.search(rf"^(def|class)\s+{name}\b", source, re.MULTILINE) is not None
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == name
               for n in tree.body)


def code_in_kernel(ex: Exercise) -> str | None:
    """The last cell run in this kernel that defines the exercise's function or class."""
    if SHELL is not None:
        for source in reversed(SHELL.history_manager.input_hist_raw):
            if _defines(source, ex.name):
                return source
    fn = (SHELL.user_ns if SHELL is not None else vars(sys.modules["__main__"])).get(ex.name)
    try:
        return inspect.getsource(fn) if callable(fn) else None
    except (OSError, TypeError):
        return None


def changed_since_run(ex: Exercise, code: str) -> bool:
    """Whether the notebook, saved after `code` last ran here, no longer holds `code` in any
    cell: the learner changed the cell, and saved it, without running it again. (The kernel
    sees only what is run; a save from before the run says nothing, as the run may be of
    newer, unsaved text.) JupyterLab and Notebook name the notebook (JPY_SESSION_NAME, which
    ipykernel passes on as `__session__`), and so does VS Code (`__vsc_ipynb_file__`);
    elsewhere it is taken to be the exercise's notebook in this folder."""
    names = SHELL.user_ns if SHELL is not None else {}
    given = [names.get(key) for key in ("__session__", "__vsc_ipynb_file__")]
    name = next((g for g in given if isinstance(g, str) and g.endswith(".ipynb")), f"{ex.stem}.ipynb")
    path = Path(name) if Path(name).is_absolute() else Path.cwd() / Path(name).name
    ran = _ran.get(code.rstrip("\n"))
    try:
        if ran is None or path.stat().st_mtime <= ran:
            return False
    except OSError:
        return False
    nb, _ = read_notebook(path)
    cells = [cell_source(c).strip() for c in (nb or {}).get("cells", [])
             if isinstance(c, dict) and c.get("cell_type") == "code"]
    return nb is not None and code.strip() not in cells


def _note_run(info) -> None:
    _ran[info.raw_cell.rstrip("\n")] = time.time()


def _ask_about(ex: Exercise, checking: bool, timeout: float, **fields) -> dict | None:
    """The checker's answer about the exercise's code as it stands in this kernel, with the
    earlier exercises as saved; None, after saying why, when there is nothing to ask about.
    `checking`: for a check cell, else for a Try-it cell."""
    code = code_in_kernel(ex)
    if code is None:
        _say(f"There is no {ex.name} in this notebook yet: run your code cell (under "
             f"\u201cYour code\u201d) first, then {'this check' if checking else 'this cell'}.")
        return None
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="kata-check-") as tmp:
        work = Path(tmp)
        origins, problems = notebooks_to_folder(here, work)
        mine = f"{ex.stem}.ipynb"
        origins[ex.path] = write_exercise(work, ex, [code], mine)
        absent = [e for e in uses(ex) if e.path not in origins]
        if absent:
            what = f"Exercise {ex.id} could not be checked" if checking else "This cell could not run"
            _say(f"{what}: {ex.name} uses {absent[0].name} from exercise {absent[0].id}. "
                 f"{_why_absent(absent[0], here, problems)}")
            return None
        request = {"folder": str(work), "cwd": str(here), "exercise": ex.id, "timeout": timeout,
                   "notebook": mine, "origins": {path: asdict(o) for path, o in origins.items()}, **fields}
        answer = _ask(request, START_SECONDS + timeout)
    if "error" in answer:
        _say(f"The checker could not answer: {answer['error'].strip().splitlines()[-1]}\n"
             "Run this cell again; if that does not help, restart the kernel.")
        return None
    if changed_since_run(ex, code):
        done, again = ("this check graded", "check again") if checking else ("this cell used", "run this one again")
        _say(f"Note: the cell that defines {ex.name} has changed since you last ran it, and {done} "
             f"the version you ran. Run that cell, then {again}.", "yellow")
    return answer


def check(exercise: str, verbose: bool = False, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run the exercise's tests against your code as it stands in this notebook; with
    verbose=True, show every failing test, not only the first."""
    ex = _exercise(exercise)
    answer = _ask_about(ex, True, timeout, verbose=verbose) if ex is not None else None
    if answer is not None:
        print(answer["text"])


def try_it(exercise: str, code: str, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run `code` against your code for the exercise as it stands in this notebook (the names
    of its code cell, and the imports of the first cell), beside the notebook and with the
    grader's time limit; show what it printed and the figures it drew."""
    ex = _exercise(exercise)
    answer = _ask_about(ex, False, timeout, code=code) if ex is not None else None
    if answer is None:
        return
    if answer["text"]:
        print(answer["text"])
    if answer["figures"]:
        from IPython.display import Image, display

        for png in answer["figures"]:
            display(Image(data=base64.b64decode(png)))


def _try_it_magic(line: str, cell: str) -> None:
    """`%%try_it 09` on a cell's first line runs the cell through try_it("09", ...)."""
    try_it(line.strip(), cell)


def hint(exercise: str, again: int | None = None) -> None:
    """The next hint for the exercise; each call gives the next, stronger one. With `again`,
    that hint once more (one you have seen)."""
    from ..catalogue.hints import hint as next_hint, hint_lines

    ex = _exercise(exercise)
    if ex is None:
        return
    number, text = next_hint(ex, again)
    _say("\n".join(hint_lines(ex, number, text)))
    _say(f'\nRun kata.hint("{ex.id}") again for the next one.' if number < len(ex.hints)
         else "\nThat was the last hint.")
    if number > 1:
        _say(f'kata.hint("{ex.id}", N) shows hint N again, N from 1 to {number}.')


class NotAvailable(NotImplementedError):
    """Raised by the stand-in for an earlier function that could not be loaded: it says why."""


def _stand_in(name: str, why: str):
    _say(why)

    def unavailable(*args, **kwargs):
        raise NotAvailable(why)

    unavailable.__name__ = name
    return unavailable


def earlier(*names: str):
    """Your functions from the earlier exercises, loaded from their notebooks in this
    folder as last saved. One name gives one function; several give a tuple."""
    here = Path.cwd()
    n = next(_loads)  # a fresh package each time: a changed notebook is loaded anew
    work = Path(_scratch.name) / str(n)
    origins, problems = notebooks_to_folder(here, work)
    target = Target(str(here), {c.folder: work / c.folder for c in course().chapters}, origins=origins)
    found = []
    for name in names:
        ex = next((e for e in course().exercises if e.name == name), None)
        if ex is None:
            raise ValueError(f"{name!r} is not a function or class of the kata: they are "
                             f"{', '.join(e.name for e in course().exercises)}")
        if ex.path not in origins:
            found.append(_stand_in(name, f"{name} could not be loaded. {_why_absent(ex, here, problems)}"))
            continue
        package = f"kata_notebooks_{n}_{ex.folder}"
        if package not in sys.modules:
            sys.modules[package] = types.ModuleType(package)
            sys.modules[package].__path__ = [str(work / ex.folder)]
        try:
            found.append(getattr(importlib.import_module(f"{package}.{ex.stem}"), name))
        except Exception as e:
            place = target.place(ex, learner_frame(e, tuple(f"{f}{os.sep}" for f in target.folders.values())))
            at = f" (at {where(place)})" if place is not None else ""
            found.append(_stand_in(name, f"{name} could not be loaded from {origins[ex.path].notebook}{at}: "
                                         f"{type(e).__name__}: {e}. Fix it there, save it, and run this cell again."))
    return found[0] if len(found) == 1 else tuple(found)


if SHELL is not None:
    SHELL.register_magic_function(_try_it_magic, "cell", "try_it")
    SHELL.events.register("pre_run_cell", _note_run)
