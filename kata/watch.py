"""Watch mode: the first exercise not yet passed, checked again every time a file is saved.

The loop runs inside one warm session (kata.engine.in_session), so every check is a
fork of the warm grader, never a fresh Python. Saves are noticed by looking at the
files' times and sizes ten times a second, which works where file events do not
(network drives, WSL).
"""

from __future__ import annotations

import os
import select
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .hints import next_hint
from .meta import Exercise, chapter
from .report import COLORS, LABELS, what_to_do
from .style import Style
from .verdict import ExerciseResult

POLL = 0.1  # seconds between two looks at the files and the keyboard
SETTLE = 0.05  # an editor that truncates a file, then writes it, is done within this
KEYS = "h hint · l list · n next exercise · r re-run · q quit"
CLEAR = "\x1b[H\x1b[2J"  # cursor to the top left, then clear the screen

Signature = dict[str, tuple[int, int, int]]
Check = Callable[[list[Exercise]], list[ExerciseResult]]


def signature(folder: Path) -> Signature:
    """Time, size and inode of every Python file in `folder`: any save changes one of them."""
    found: Signature = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if not entry.name.endswith(".py") or entry.name.startswith("."):
            continue
        try:
            st = entry.stat()
        except OSError:  # removed meanwhile, or a dangling link an editor left
            continue
        found[entry.name] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def settled(folder: Path, seen: Signature) -> Signature:
    """The signature once the save in progress has finished: it stays the same for SETTLE s."""
    for _ in range(40):
        newest = max((m for m, _, _ in seen.values()), default=0) / 1e9
        time.sleep(min(SETTLE, max(0.0, SETTLE - (time.time() - newest))))
        now = signature(folder)
        if now == seen:
            return now
        seen = now
    return seen


class Keys:
    """Key presses: one at a time from a terminal (no Enter needed, not echoed), or the
    first letter of each line from a pipe. With neither, there are no keys and watching
    goes on. close() gives the terminal back exactly as it was."""

    def __init__(self, stream: TextIO):
        try:
            self.fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = None
        self.tty = self.fd is not None and os.isatty(self.fd)
        if self.fd is not None and not self.tty and stat.S_ISCHR(os.fstat(self.fd).st_mode):
            self.fd = None  # /dev/null: no keys will ever come
        self.saved: list | None = None
        self.pending = ""
        self.partial = ""
        if self.tty and sys.platform != "win32":
            import termios
            import tty

            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd, termios.TCSANOW)  # Ctrl-C still interrupts

    def close(self) -> None:
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def read(self, timeout: float) -> str | None:
        """The next key, waiting at most `timeout` seconds; None if there was none."""
        if not self.pending:
            self._fill(timeout)
        if not self.pending:
            return None
        key, self.pending = self.pending[0], self.pending[1:]
        return key.lower()

    def _fill(self, timeout: float) -> None:
        if self.fd is None:
            time.sleep(timeout)
            return
        if sys.platform == "win32":
            self._fill_console(timeout)
            return
        if not select.select([self.fd], [], [], timeout)[0]:
            return
        data = os.read(self.fd, 1024).decode(errors="ignore")
        if not data:  # end of input: no more keys, but keep watching
            self.fd = None
            data = "\n"
        if self.tty:
            self.pending += data
            return
        *lines, self.partial = (self.partial + data).split("\n")
        self.pending += "".join(line.strip()[:1] for line in lines)

    def _fill_console(self, timeout: float) -> None:
        if not self.tty:
            self.fd = None
            time.sleep(timeout)
            return
        import msvcrt

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if msvcrt.kbhit():
                self.pending += msvcrt.getwch()
                return
            time.sleep(0.02)


class Screen:
    """Where watch mode writes: a screen redrawn in place on a terminal, else plain lines."""

    def __init__(self, out: TextIO, redraw: bool):
        self.out = out
        self.redraw = redraw

    def show(self, lines: list[str]) -> None:
        text = "\n".join(lines) + "\n"
        self.out.write(CLEAR + text if self.redraw else text + "\n")
        self.out.flush()


class Watch:
    """What watch mode knows and shows. `check` grades exercises, each in a process of its own."""

    def __init__(self, check: Check, folder: Path, target_name: str, screen: Screen, style: Style,
                 keys: str = "", verbose: bool = False, note: str = ""):
        self.check_exercises = check
        self.folder = folder
        self.target_name = target_name
        self.screen = screen
        self.s = style
        self.keys = keys  # how to use the keys, or "" when there are none
        self.verbose = verbose
        self.note = note
        self.exercises = list(chapter().exercises)
        self.results: dict[str, ExerciseResult] = {}
        self.current: Exercise | None = None
        self.news = ""  # what just happened: an exercise passed, another was chosen
        self.extra: list[str] = []  # a hint or the list, until the next check
        self.checked = ("", 0.0)  # when, and in how many seconds
        self.shown = False  # plain lines: the keys were explained
        self.told_finished = False  # plain lines: what comes after the chapter was said

    # --- grading -----------------------------------------------------------------

    def _check(self, exercises: list[Exercise]) -> list[ExerciseResult]:
        started = time.monotonic()
        results = self.check_exercises(exercises)
        for r in results:
            self.results[r.exercise.id] = r
        self.checked = (time.strftime("%H:%M:%S"), time.monotonic() - started)
        self.extra = []
        return results

    def _first_unpassed(self) -> Exercise | None:
        return next((e for e in self.exercises if not self.results[e.id].passed), None)

    def start(self) -> None:
        self._check(self.exercises)
        self.current = self._first_unpassed()
        self.draw()

    def recheck(self) -> None:
        """Check the current exercise again; when it passes, move on to the first not passed."""
        self.news = ""
        if self.current is None:
            self._check(self.exercises)
            self.current = self._first_unpassed()
        elif self._check([self.current])[0].passed:
            done = self.current
            self._check([e for e in self.exercises if e.id != done.id])
            self.current = self._first_unpassed()
            onward = f" On to exercise {self.current.id}." if self.current else ""
            self.news = self.s(f"{self.s.symbol('pass')} Exercise {done.id} ({done.name}) passes.{onward}",
                               "bold", "green")
        self.draw()

    # --- keys --------------------------------------------------------------------

    def press(self, key: str) -> bool:
        """Act on a key; False when it asks to stop watching."""
        if key == "q":
            return False
        if key == "r":
            self.recheck()
        elif key == "n":
            self._next()
        elif key == "l":
            self._list()
        elif key == "h":
            self._hint()
        return True

    def _next(self) -> None:
        at = self.exercises.index(self.current) + 1 if self.current else 0
        self.current = self.exercises[at % len(self.exercises)]
        self._check([self.current])
        self.news = f"Exercise {self.current.id} ({self.current.name}), as you asked (n)."
        self.draw()

    def _list(self) -> None:
        self._check(self.exercises)
        self.news = ""
        self.extra = ["", *self._list_lines()]
        self.draw()

    def _hint(self) -> None:
        if self.current is None:
            self.extra = ["", "Every exercise passes: no hint needed."]
        else:
            ex = self.current
            number, text = next_hint(ex)
            more = "Press h again for the next one." if number < len(ex.hints) else "That was the last hint."
            self.extra = ["", self.s(f"Hint {number} of {len(ex.hints)} for exercise {ex.id} ({ex.name}):", "bold"),
                          *("  " + line for line in text.splitlines()), more]
        self.draw()

    # --- showing -----------------------------------------------------------------

    def _list_lines(self) -> list[str]:
        width = max(len(e.name) for e in self.exercises)
        lines = []
        for e in self.exercises:
            r = self.results[e.id]
            status = self.s(f"{self.s.symbol(r.status)} {LABELS[r.status]:<11}", COLORS[r.status])
            mark = "  <- now" if self.current and e.id == self.current.id else ""
            lines.append(f"  {status}  {e.id} {e.name:<{width}}  {self.s(e.title, 'dim')}{mark}")
        return lines

    def _verdict(self) -> list[str]:
        if self.current is None:
            done = [self.s("Chapter complete: every exercise passes. Well done!", "bold", "green")]
            # A redrawn screen always says what comes next; plain lines say it once.
            if self.told_finished and not self.screen.redraw:
                return done
            self.told_finished = True
            return [*done, "", chapter().finished]
        r = self.results[self.current.id]
        ex = r.exercise
        path = f"{self.target_name}/{r.file}"
        head = self.s(f"Exercise {ex.id}, {ex.name} ({ex.title}): {LABELS[r.status]}", "bold", COLORS[r.status])
        if r.passed:
            return [head, f"  It passes. Press n for the next exercise, or keep improving {path}."]
        return [head, *what_to_do(r, path, self.s, every=self.verbose),
                f"  Your file: {path}. Stuck? Press h for a hint." if self.keys else
                f"  Your file: {path}. Stuck? `python grader.py hint {ex.number}` gives a hint."]

    def _progress(self, done: int) -> str:
        return f"{done}/{len(self.exercises)} exercises pass"

    def draw(self) -> None:
        when, seconds = self.checked
        done = sum(self.results[e.id].passed for e in self.exercises)
        body = [*([self.news, ""] if self.news else []), *self._verdict(), *self.extra]
        saved = f"Checked at {when} in {seconds:.2f} s. Save a file in {self.target_name}/ to check again."
        if not self.screen.redraw:
            keys = [self.keys] if self.keys and not self.shown else []
            self.shown = True
            self.screen.show([f"[{when}] {self._progress(done)}", *body, *keys])
            return
        lines = [self.s(f"{chapter().title} · watching {self.target_name}/", "bold"),
                 f"{self.s.bar(done, len(self.exercises))} {self._progress(done)}",
                 *([self.s(self.note, "dim")] if self.note else []), "", *body, "", self.s(saved, "dim")]
        if self.keys:
            lines.append(self.keys)
        self.screen.show(lines)


def watch_loop(w: Watch, keys: Keys) -> None:
    """Re-check on every save and act on keys, until q."""
    seen = signature(w.folder)
    w.start()
    while True:
        key = keys.read(POLL)
        if key is not None and not w.press(key):
            return
        now = signature(w.folder)
        if now != seen:
            seen = settled(w.folder, now)
            w.recheck()


def _interrupt_on(signals: list[int]) -> dict[int, object]:
    """Turn these signals into KeyboardInterrupt in this process, so the terminal is restored.

    Processes forked for checks inherit the handler; in them it does what the signal
    would have done.
    """
    import signal

    owner = os.getpid()

    def handler(number, frame):
        if os.getpid() != owner:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise KeyboardInterrupt

    return {n: signal.signal(n, handler) for n in signals}


def watch(collection, runner, folder: Path, target_name: str, *, verbose: bool = False, note: str = "",
          stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Watch mode in a warm session: 0 after q, 130 after Ctrl-C."""
    import signal

    from .engine import grade_targets

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout

    def check(exercises: list[Exercise]) -> list[ExerciseResult]:
        return grade_targets(collection, runner, [folder], exercises)[0].exercises

    keys = Keys(stdin)
    redraw = stdout.isatty() and os.environ.get("TERM") != "dumb"
    help_line = "" if keys.fd is None else KEYS if keys.tty else f"Keys (a letter, then Enter): {KEYS}"
    w = Watch(check, folder, target_name, Screen(stdout, redraw), Style(stdout), keys=help_line,
              verbose=verbose, note=note)
    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = _interrupt_on(signals)
    code = 0
    try:
        watch_loop(w, keys)
    except KeyboardInterrupt:
        code = 130
    finally:
        keys.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    stdout.write("\nStopped watching.\n" if code else "Stopped watching.\n")
    stdout.flush()
    return code
