"""Watch mode end to end: in a pseudo-terminal as a learner uses it, and without a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from conftest import ROOT, chapter, copy_kata, replace_function

from kata import watch
from kata.verdict import ExerciseResult

CLEAR = watch.CLEAR.encode()
FOOTER = b"q quit"
WAIT = 120  # seconds: generous, the suite may share a busy machine

SUM = "def mse_loss(y_pred, y):\n    return ((y_pred - y) ** 2).sum()\n"
RAISES = "def mse_loss(y_pred, y):\n    raise ValueError('not yet')\n"


def learner_folder(kata: Path) -> Path:
    """The kata's exercises/ as a learner has it: 01-03 solved, 04 wrong, 05-09 untouched."""
    work = kata / "exercises"
    for name in ("ex01_tracked.py", "ex02_sum_of_squares.py", "ex03_gradients.py", "ex04_mse_loss.py"):
        shutil.copy(ROOT / "solutions" / name, work / name)
    replace_function(work, "mse_loss", SUM)
    return work


def _controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # so that Ctrl-C in the terminal sends SIGINT


class Terminal:
    """`python grader.py watch` in a pseudo-terminal, as if in the learner's window."""

    def __init__(self, kata: Path):
        self.master, self.slave = pty.openpty()
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
        """The next complete screen that shows every string in `wanted`."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            end = self.output.find(FOOTER, self.seen)
            if end >= 0 and b"\n" in self.output[end:]:
                start = self.output.rfind(CLEAR, 0, end)
                self.seen = end + len(FOOTER)
                text = self.output[start:self.seen].decode()
                assert start >= 0, "every screen starts by clearing the last one"
                if all(w in text for w in wanted):
                    return text
                continue
            self._read(0.05)
        raise AssertionError(f"no screen showed {wanted}; the last output was:\n"
                             f"{self.output[-3000:].decode(errors='replace')}")

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def end(self) -> int:
        code = self.proc.wait(timeout=WAIT)
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
    assert "3/9 exercises pass" in first and "Press h for a hint" in first

    replace_function(work, "mse_loss", RAISES)
    assert "ValueError" in term.screen("Exercise 04, mse_loss", "error")

    term.press(b"h")
    hint = chapter().find("04").hints[0].splitlines()[0]
    assert hint in term.screen("Hint 1 of 3 for exercise 04")
    assert (kata / ".kata-state.json").exists()  # the same hints as `python grader.py hint`

    shutil.copy(ROOT / "solutions" / "ex04_mse_loss.py", work / "ex04_mse_loss.py")
    moved = term.screen("Exercise 04 (mse_loss) passes. On to exercise 05.")
    assert "Exercise 05, init_params" in moved and "not started" in moved
    assert "4/9 exercises pass" in moved

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
    assert re.search(r"failed\s+04 mse_loss\s+The mean squared error\s+<- now", listed)
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
        assert re.match(r"\[\d\d:\d\d:\d\d\] 3/9 exercises pass\n", first)
        assert "Exercise 04, mse_loss (The mean squared error): failed" in first
        shutil.copy(ROOT / "solutions" / "ex04_mse_loss.py", work / "ex04_mse_loss.py")
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


# --- the loop itself, with a stand-in for grading ------------------------------------------


def fake_results(passing: set[str]):
    def check(exercises):
        return [ExerciseResult(e, "pass" if e.id in passing else "fail", 0.0, "wrong", [], e.file)
                for e in exercises]

    return check


class Lines:
    def __init__(self):
        self.redraw = True
        self.shown: list[list[str]] = []

    def show(self, lines):
        self.shown.append(lines)


def test_the_fallback_note_is_shown_under_the_title(monkeypatch):
    from kata.commands import watch as command
    from kata.style import Style

    monkeypatch.setattr("kata.runner.CAN_FORK", False)
    note = command.fallback_note(verbose=True)
    assert "cannot fork" in note and "fresh Python" in note
    assert command.fallback_note(verbose=False) == ""
    screen = Lines()
    w = watch.Watch(fake_results(set()), Path("."), "exercises", screen, Style(color=False), note=note)
    w.start()
    assert screen.shown[-1][2] == note


def test_a_save_settles_before_it_counts(tmp_path):
    (tmp_path / "ex01_tracked.py").write_text("x = 1\n")
    (tmp_path / ".#ex01_tracked.py").symlink_to(tmp_path / "gone")  # an editor's lock file
    before = watch.signature(tmp_path)
    assert list(before) == ["ex01_tracked.py"]
    (tmp_path / "ex01_tracked.py").write_text("x = 22\n")
    after = watch.settled(tmp_path, watch.signature(tmp_path))
    assert after != before and after == watch.signature(tmp_path)
