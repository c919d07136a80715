"""Watch mode end to end: in a pseudo-terminal as a learner uses it, and without a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_kata, course, replace_function

from kata.grading.results import ExerciseResult
from kata.outcomes import Status
from kata.watch import loop as watch
from kata.watch.terminal import CLEAR as CLEAR_SCREEN

CLEAR = CLEAR_SCREEN.encode()
CHAPTER = course().chapters[0]
EVERY = len(course().exercises)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FOOTER = b"q quit"
WAIT = 120  # seconds: generous, the suite may share a busy machine

SUM = "def mse_loss(y_pred, y):\n    return ((y_pred - y) ** 2).sum()\n"
RAISES = "def mse_loss(y_pred, y):\n    raise ValueError('not yet')\n"


def learner_folder(kata: Path) -> Path:
    """The kata's exercises/ as a learner has it: 01-03 solved, 04 wrong, the rest untouched."""
    work = kata / "exercises"
    for key in ("01", "02", "03", "04"):
        path = course().find(key).path
        shutil.copy(ROOT / "solutions" / path, work / path)
    replace_function(work, "mse_loss", SUM)
    return work


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # so that Ctrl-C in the terminal sends SIGINT
    # As a shell starts a program in the foreground: Ctrl-C and Ctrl-\ do what they do by default,
    # even where the suite itself was started with them ignored (in the background, say).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Terminal:
    """`python grader.py watch` in a pseudo-terminal, as if in the learner's window."""

    def __init__(self, kata: Path, size: tuple[int, int] = (100, 40)):
        self.master, self.slave = pty.openpty()
        self.columns, self.rows = size
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self.before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            [sys.executable, str(kata / "grader.py"), "watch"], cwd=kata,
            stdin=self.slave, stdout=self.slave, stderr=self.slave, start_new_session=True,
            preexec_fn=_controlling_terminal, env=dict(os.environ, TERM="xterm", NO_COLOR="1"),
        )
        self.output = b""
        self.seen = 0  # how much of the output has been looked at

    def _read(self, timeout: float) -> None:
        if select.select([self.master], [], [], timeout)[0]:
            try:
                self.output += os.read(self.master, 1 << 16)
            except OSError:  # the program ended and closed its side
                time.sleep(timeout)

    def screen(self, *wanted: str) -> str:
        """The next complete screen that shows every string in `wanted` (one drawn while a check
        runs only when that is wanted)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            end = self.output.find(FOOTER, self.seen)
            if end >= 0 and b"\n" in self.output[end:]:
                start = self.output.rfind(CLEAR, 0, end)
                self.seen = end + len(FOOTER)
                text = self.output[start:self.seen].decode()
                assert start >= 0, "every screen starts by clearing the last one"
                checking = "Checking " in text and not any("Checking" in w for w in wanted)
                if all(w in text for w in wanted) and not checking:
                    return text
                continue
            self._read(0.05)
        raise AssertionError(f"no screen showed {wanted}; the last output was:\n"
                             f"{self.output[-3000:].decode(errors='replace')}")

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def end(self) -> int:
        # Read on while waiting, as a terminal does: a program whose output nobody reads blocks
        # once the terminal's buffer is full, and would never end.
        deadline = time.monotonic() + WAIT
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.05)
        code = self.proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while b"Stopped watching." not in self.output and time.monotonic() < deadline:
            self._read(0.05)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    learner_folder(kata)
    term = Terminal(kata)
    yield term, kata
    term.close()


def test_a_save_checks_again_a_pass_moves_on_and_q_quits(terminal):
    term, kata = terminal
    work = kata / "exercises"
    first = term.screen("Exercise 04, mse_loss", "failed")
    assert f"3/{EVERY} exercises pass" in first and "Press h for a hint" in first

    replace_function(work, "mse_loss", RAISES)
    assert "ValueError" in term.screen("Exercise 04, mse_loss", "error")

    term.press(b"h")
    hint = " ".join(course().find("04").hints[0].split()[:6])  # wrapped to the window after these
    assert hint in term.screen("Hint 1 of 3 for exercise 04")
    assert (kata / ".kata-state.json").exists()  # the same hints as `python grader.py hint`

    path = course().find("04").path
    shutil.copy(ROOT / "solutions" / path, work / path)
    moved = term.screen("Exercise 04 (mse_loss) passes. On to exercise 05.")
    assert "Exercise 05, init_params" in moved and "not started" in moved
    assert f"4/{EVERY} exercises pass" in moved

    term.press(b"q")
    assert term.end() == 0
    assert term.output.rstrip().endswith(b"Stopped watching.")
    assert termios.tcgetattr(term.slave) == term.before


def test_list_next_and_ctrl_c_leave_the_terminal_as_it_was(terminal):
    term, _ = terminal
    term.screen("Exercise 04, mse_loss", "failed")
    assert termios.tcgetattr(term.slave) != term.before  # keys arrive one by one, unechoed

    term.press(b"l")
    listed = term.screen("09 train")
    assert re.search(r"failed\s+04 mse_loss\s+0/2\s+The mean squared error\s+<- now", listed)
    assert re.search(r"passed\s+01 tracked", listed)

    term.press(b"n")
    assert "not started" in term.screen("Exercise 05, init_params", "as you asked")

    term.press(b"\x03")  # Ctrl-C
    assert term.end() == 130
    assert term.output.rstrip().endswith(b"Stopped watching.")
    assert termios.tcgetattr(term.slave) == term.before


def test_without_a_terminal_it_writes_plain_lines(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    work = learner_folder(kata)
    proc = subprocess.Popen(
        [sys.executable, str(kata / "grader.py"), "watch", "--verbose"], cwd=kata,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=dict(os.environ, TERM="xterm"),
    )
    out = b""

    def until(text: str) -> str:
        nonlocal out
        deadline = time.monotonic() + WAIT
        while text.encode() not in out:
            assert time.monotonic() < deadline, f"nothing said {text!r}:\n" + out.decode()
            if select.select([proc.stdout], [], [], 0.1)[0]:
                out += os.read(proc.stdout.fileno(), 1 << 16)
        return out.decode()

    try:
        first = until("Keys (a letter, then Enter)")
        assert re.match(rf"\[\d\d:\d\d:\d\d\] 3/{EVERY} exercises pass\n", first)
        assert "Exercise 04, mse_loss (The mean squared error): failed" in first
        path = course().find("04").path
        shutil.copy(ROOT / "solutions" / path, work / path)
        until("On to exercise 05")
        proc.stdin.write(b"q\n")
        proc.stdin.flush()
        assert proc.wait(timeout=WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = (out + proc.stdout.read()).decode()
    assert "\x1b" not in output  # no escape codes: no colour, no clearing
    assert output.rstrip().endswith("Stopped watching.")
    assert "cannot fork" not in output  # this system forks
    assert proc.stderr.read() == b""


def test_at_80x24_a_slow_check_shows_it_is_running_and_answers_keys(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    work = learner_folder(kata)
    term = Terminal(kata, size=(80, 24))
    try:
        term.screen("Exercise 04, mse_loss", "failed")
        slow = "import time\n\ntime.sleep(3)\n\n\n" + SUM  # slow to load, once per check
        replace_function(work, "mse_loss", slow)
        running = term.screen("Checking exercise 04 (mse_loss)")
        term.press(b"h")
        hinted = term.screen("Hint 1 of 3 for exercise 04", "Checking exercise 04")
        term.press(b"l")
        term.screen("Checking exercise 04", "(then: l)")
        listed = term.screen("09 train", "Checked at")
        for text in (running, hinted, listed):
            lines = ANSI.sub("", text.replace(CLEAR_SCREEN, "")).splitlines()
            assert len(lines) <= 24, lines
            assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
            assert "watching exercises/" in lines[0] and "exercises pass" in lines[1]
        term.press(b"q")
        assert term.end() == 0
    finally:
        term.close()


def test_at_80x24_on_a_chapter_2_exercise_the_title_the_list_and_a_hint_fit(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    work = kata / "exercises"
    for ex in [*CHAPTER.exercises, course().find("10"), course().find("11")]:
        shutil.copy(ROOT / "solutions" / ex.path, work / ex.path)
    replace_function(work, "SGD", SLOW_SGD)  # slow to load, so that a check can be caught running
    term = Terminal(kata, size=(80, 24))
    try:
        first = term.screen("Exercise 12, SGD", "failed")
        title = ANSI.sub("", first.replace(CLEAR_SCREEN, "")).splitlines()[0]
        assert title == f"watching exercises/ · {course().chapters[1].title}", title

        term.press(b"l")
        top = term.screen("01 tracked", "Checked at")
        assert "21 train_classifier" not in top and "press space for the next page" in top
        term.press(b"l")  # l again: the list's next page, down to chapter 2's last exercise
        rest = term.screen("21 train_classifier")
        assert re.search(r"failed\s+12 SGD\s+0/2\s+Your own optimizer\s+<- now", rest)

        term.press(b"r")
        term.screen("Checking exercise 12")
        term.press(b"h")
        hinted = term.screen("Hint 1 of", "Checked at")
        lines = ANSI.sub("", hinted.replace(CLEAR_SCREEN, "")).splitlines()
        assert len(lines) <= 24 and all(len(line) <= 80 for line in lines), lines
        assert "Exercise 12, SGD (Your own optimizer): failed" in hinted  # the exercise stays in view
        assert "no hint needed" not in hinted
        term.press(b"q")
        assert term.end() == 0
    finally:
        term.close()


SLOW_SGD = """import time

time.sleep(2)


class SGD:
    def __init__(self, params, lr):
        self.params = list(params)
        self.lr = lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p = p - self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None
"""


# --- the loop itself, with a stand-in for grading ------------------------------------------


def fake_results(passing: set[str]):
    def check(exercises, on_wait):
        return [ExerciseResult(e, Status.PASS if e.id in passing else Status.FAIL, 0.0, "wrong", (), e.path)
                for e in exercises]

    return check


class Lines:
    def __init__(self):
        self.redraw = True
        self.shown: list[list[str]] = []

    def size(self):
        return 80, 24

    def show(self, head, body, foot, start=0):
        self.shown.append(head + body + foot)
        return 0


def test_the_fallback_note_is_shown_under_the_title(monkeypatch):
    from kata.cli import common
    from kata.feedback.style import Style

    monkeypatch.setattr("kata.grading.runner.CAN_FORK", False)
    note = common.fallback_note(verbose=True)
    assert "cannot fork" in note and "fresh Python" in note
    assert common.fallback_note(verbose=False) == ""
    screen = Lines()
    w = watch.Watch(fake_results(set()), "exercises", list(course().exercises), screen, Style(color=False), note=note)
    w.recheck()
    assert screen.shown[-1][2] == note


def test_a_save_settles_before_it_counts(tmp_path):
    (tmp_path / "ex01_tracked.py").write_text("x = 1\n")
    (tmp_path / ".#ex01_tracked.py").symlink_to(tmp_path / "gone")  # an editor's lock file
    before = watch.signature([tmp_path])
    assert list(before) == [str(tmp_path / "ex01_tracked.py")]
    (tmp_path / "ex01_tracked.py").write_text("x = 22\n")
    after = watch.settled([tmp_path], watch.signature([tmp_path]))
    assert after != before and after == watch.signature([tmp_path])
