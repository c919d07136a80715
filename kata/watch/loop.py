"""Watch mode: the first exercise not yet passed, checked again every time a file is saved.

The loop runs inside one warm session (kata.grading.engine.in_session), so every check is
a fork of the warm grader, never a fresh Python. Saves are noticed by looking at the
files' times and sizes ten times a second, which works where file events do not (network
drives, WSL). Keys are answered while a check runs (see Watch._during_check).
"""

from __future__ import annotations

import contextlib
import glob
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..catalogue.course import Exercise, course
from ..catalogue.hints import hint, hint_lines
from ..feedback.render import COLORS, LABELS, WATCH, WATCH_WITHOUT_KEYS, chapter_lines, explain, reflow, wrap
from ..feedback.report import finished_lines
from ..feedback.style import Style
from ..grading.engine import Grader
from ..grading.results import ExerciseResult, RunResult
from ..grading.target import Target
from .terminal import Keys, Screen

POLL = 0.1  # seconds between two looks at the files and the keyboard
SETTLE = 0.05  # an editor that truncates a file, then writes it, is done within this
KEYS = "h hint · l list · n next exercise · r re-run · space next page · q quit"

Signature = dict[str, tuple[int, int, int]]
Check = Callable[[list[Exercise], Callable[[], None]], list[ExerciseResult]]


def signature(folders: list[Path]) -> Signature:
    """Time, size and inode of every Python file in `folders`: any save changes one of them."""
    found: Signature = {}
    for folder in folders:
        for path in glob.glob(os.path.join(glob.escape(str(folder)), "*.py")):  # not the hidden ones
            try:
                st = os.stat(path)
            except OSError:  # removed meanwhile, or a dangling link an editor left
                continue
            found[path] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return found


def settled(folders: list[Path], seen: Signature) -> Signature:
    """The signature once the save in progress has finished: it stays the same for SETTLE s."""
    for _ in range(40):
        newest = max((m for m, _, _ in seen.values()), default=0) / 1e9
        time.sleep(min(SETTLE, max(0.0, SETTLE - (time.time() - newest))))
        now = signature(folders)
        if now == seen:
            return now
        seen = now
    return seen


class Quit(Exception):
    """The learner pressed q, perhaps in the middle of a check."""


class Watch:
    """What watch mode knows and shows. `check` grades exercises, each in a process of its own,
    calling its second argument while it waits."""

    def __init__(self, check: Check, target_name: str, exercises: list[Exercise], screen: Screen, style: Style,
                 keys: Keys | None = None, help_line: str = "", verbose: bool = False, note: str = ""):
        self.check_exercises = check
        self.target_name = target_name
        self.exercises = exercises
        self.screen = screen
        self.s = style
        self.keys = keys
        self.help_line = help_line  # how to use the keys, or "" when there are none
        self.verbose = verbose
        self.note = note
        self.results: dict[str, ExerciseResult] = {}
        self.current: Exercise | None = None
        self.news = ""  # what just happened: an exercise passed, another was chosen
        self.extra: list[str] = []  # a hint or the list, until the next check
        self.checked = ("", 0.0)  # when, and in how many seconds
        self.checking: list[Exercise] = []  # the exercises being checked right now
        self.later: list[str] = []  # keys pressed during a check, for after it
        self.start = 0  # the body's line at the top of the screen (space pages on)
        self.next_page = 0  # where the next page starts; 0 when the body fits
        self.listing = False  # the extra lines are the list (l again pages on)
        self.shown = False  # plain lines: the keys were explained
        self.told_finished = False  # plain lines: what comes after the chapter was said

    def _check(self, exercises: list[Exercise]) -> None:
        started, shown = time.monotonic(), self.extra
        self.checking = exercises
        self.draw()
        try:
            self.results.update((r.exercise.id, r) for r in self.check_exercises(exercises, self._during_check))
        finally:
            self.checking = []
        self.checked = (time.strftime("%H:%M:%S"), time.monotonic() - started)
        self.start = 0
        if self.extra is shown:  # a hint asked for during the check stays
            self.extra, self.listing = [], False

    def _during_check(self) -> None:
        """Answer the keys pressed while a check runs: q, h and space at once, the others after it."""
        key = self.keys.read(0) if self.keys is not None else None
        if key in ("q", "h", " "):
            self.press(key)
        elif key in ("l", "n", "r") and key not in self.later:
            self.later.append(key)
            self.draw()

    def recheck(self) -> None:
        """Check the current exercise again, and once it passes (or at the start) every other:
        the first one that does not pass becomes the current one."""
        done, self.news = self.current, ""
        if done is not None:
            self._check([done])
        if done is None or self.results[done.id].passed:
            self._check([e for e in self.exercises if e != done])
            self.current = next((e for e in self.exercises if not self.results[e.id].passed), None)
            if done is not None:
                onward = f" On to exercise {self.current.id}." if self.current else ""
                self.news = self.s(f"{self.s.symbol('pass')} Exercise {done.id} ({done.name}) passes.{onward}",
                                   "bold", "green")
        self.draw()

    def press(self, key: str | None) -> None:
        """Act on a key (None for none); q raises Quit."""
        if key == "q":
            raise Quit
        action = {"r": self.recheck, "n": self._next, "l": self._list, "h": self._hint, " ": self._page}.get(key)
        if action is not None:
            action()

    def _next(self) -> None:
        at = self.exercises.index(self.current) + 1 if self.current else 0
        self.current = self.exercises[at % len(self.exercises)]
        self._check([self.current])
        self.news = f"Exercise {self.current.id} ({self.current.name}), as you asked (n)."
        self.draw()

    def _page(self) -> None:
        """The next page of a body taller than the screen; after the last, the first again."""
        self.start = self.next_page
        self.draw()

    def _list(self) -> None:
        if self.listing and self.next_page:  # l again: the list's next page
            self._page()
            return
        self._check(self.exercises)
        self.news = ""
        current = self.results.get(self.current.id) if self.current else None
        self.extra = chapter_lines(self._run(), self.s, current, self.screen.size()[0] - 1)
        self.listing, self.start = True, 0
        self.draw()

    def _hint(self) -> None:
        if self.current is None and self.checking:  # not known yet which exercise needs it
            if "h" not in self.later:
                self.later.append("h")
            self.draw()
            return
        self.listing, self.start = False, 0
        if self.current is None:
            self.extra = ["Every exercise passes: no hint needed."]
        else:
            ex = self.current
            number, text = hint(ex)
            more = "Press h again for the next one." if number < len(ex.hints) else "That was the last hint."
            width = self.screen.size()[0] - 1
            self.extra = [part for line in [*hint_lines(ex, number, reflow(text)), more] for part in wrap(line, width)]
        self.draw()

    def _run(self) -> RunResult:
        return RunResult(self.target_name, tuple(self.results[e.id] for e in self.exercises))

    def _verdict(self, width: int) -> list[str]:
        if self.current is None:
            done = finished_lines(self._run(), self.s, width)[1:]
            # A redrawn screen always says what comes next; plain lines say it once.
            if self.told_finished and not self.screen.redraw:
                return done[:1]
            self.told_finished = True
            return done
        r = self.results[self.current.id]
        ex = r.exercise
        path = f"{self.target_name}/{r.file}"
        head = self.s(f"Exercise {ex.id}, {ex.name} ({ex.title}): {LABELS[r.status]}", "bold", COLORS[r.status])
        if r.passed:
            return [head, *wrap(f"It passes. Press n for the next exercise, or keep improving {path}.", width, "  ")]
        voice = WATCH if self.help_line else WATCH_WITHOUT_KEYS
        return [head, *explain(r, voice, self.s, every=self.verbose, width=width, folder=self.target_name),
                *wrap(f"Your file: {path}.", width, "  ")]

    def _status(self) -> str:
        if self.checking:
            what = (f"exercise {self.checking[0].id} ({self.checking[0].name})" if len(self.checking) == 1
                    else f"{len(self.checking)} exercises")
            waiting = f" (then: {', '.join(self.later)})" if self.later else ""
            return f"Checking {what}...{waiting}"
        when, seconds = self.checked
        return f"Checked at {when} in {seconds:.2f} s. Save a file in {self.target_name}/ to check again."

    def draw(self) -> None:
        width = self.screen.size()[0] - 1
        done = sum(1 for e in self.exercises if e.id in self.results and self.results[e.id].passed)
        progress = f"{done}/{len(self.exercises)} exercises pass"
        # What was asked for (a hint, the list) comes right under the exercise's own line, so that
        # both stay in view; the rest of the verdict follows (space pages to it on a small screen).
        verdict = self._verdict(width) if self.results and all(e.id in self.results for e in self.exercises) else []
        body = [*([self.news, ""] if self.news else []), *verdict[:1], *([""] if verdict and self.extra else []),
                *([*self.extra, ""] if self.extra else []), *verdict[1:]]
        if not self.screen.redraw:
            if self.checking:
                return  # plain lines: only results are written
            keys = [self.help_line] if self.help_line and not self.shown else []
            self.shown = True
            self.screen.show([f"[{self.checked[0]}] {progress}"], body, keys)
            return
        chapters = [course().chapter_of(self.current)] if self.current else \
            [c for c in course().chapters if any(e.folder == c.folder for e in self.exercises)]
        title = _fit(f"watching {self.target_name}/ · {' · '.join(c.title for c in chapters)}", width)
        head = [self.s(title, "bold"),
                f"{self.s.bar(done, len(self.exercises))} {progress}",
                *([self.s(self.note, "dim")] if self.note else []), ""]
        foot = ["", self.s(self._status()[:width], "dim" if not self.checking else "yellow")]
        if self.help_line:
            foot.append(self.help_line[:width])
        self.next_page = self.screen.show(head, body, foot, self.start)


def _fit(text: str, width: int) -> str:
    """`text` cut at a word to fit `width`, with "..." saying that it was cut."""
    if len(text) <= width:
        return text
    return text[:width - 3].rsplit(" ", 1)[0] + "..."


def watch_loop(w: Watch, keys: Keys, folders: list[Path]) -> None:
    """Re-check on every save and act on keys, until q (Quit)."""
    seen = signature(folders)
    w.recheck()
    while True:
        while w.later:  # keys pressed during the last check
            w.press(w.later.pop(0))
        w.press(keys.read(POLL))
        now = signature(folders)
        if now != seen:
            seen = settled(folders, now)
            w.recheck()


def _interrupt_on(signals: list[int]) -> dict[int, object]:
    """Turn these signals into KeyboardInterrupt in this process, so the terminal is restored.
    Processes forked for checks inherit the handler: in them it does what the signal would have done."""
    owner = os.getpid()

    def handler(number, frame):
        if os.getpid() != owner:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
            return
        raise KeyboardInterrupt

    return {n: signal.signal(n, handler) for n in signals}


def watch(grader: Grader, target: Target, exercises: list[Exercise], *, verbose: bool = False, note: str = "") -> int:
    """Watch mode in a warm session: 0 after q, 130 after Ctrl-C."""

    def check(chosen: list[Exercise], on_wait: Callable[[], None]) -> list[ExerciseResult]:
        return list(grader.grade([target], chosen, on_wait=on_wait)[0].exercises)

    keys = Keys(sys.stdin)
    redraw = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
    help_line = "" if keys.fd is None else KEYS if keys.tty else f"Keys (a letter, then Enter): {KEYS}"
    w = Watch(check, target.name, exercises, Screen(sys.stdout, redraw), Style(sys.stdout), keys=keys,
              help_line=help_line, verbose=verbose, note=note)
    previous = _interrupt_on([getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)])
    code = 0
    try:
        with contextlib.suppress(Quit):
            watch_loop(w, keys, list(target.folders.values()))
    except KeyboardInterrupt:
        code = 130
    finally:
        keys.close()
        for number, handler in previous.items():
            signal.signal(number, handler)
    sys.stdout.write("\nStopped watching.\n" if code else "Stopped watching.\n")
    sys.stdout.flush()
    return code
