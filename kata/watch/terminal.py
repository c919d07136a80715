"""The terminal of watch mode: keys as they are pressed (no Enter needed, not echoed), and a
screen redrawn in place to its size; from a pipe, plain lines both ways (see Keys and Screen)."""

from __future__ import annotations

import os
import select
import shutil
import stat
import sys
import time
from typing import TextIO

CLEAR = "\x1b[H\x1b[2J"  # cursor to the top left, then clear the screen


class Keys:
    """Key presses from a terminal, or the first letter of each line from a pipe. With
    neither, there are no keys and watching goes on."""

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
        """Give the terminal back exactly as it was."""
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
        if sys.platform == "win32" and not self.tty:
            self.fd = None  # a pipe cannot be waited on there
        if self.fd is None:
            time.sleep(timeout)
        elif sys.platform == "win32":
            import msvcrt

            deadline = time.monotonic() + timeout
            while not msvcrt.kbhit() and time.monotonic() < deadline:
                time.sleep(0.02)
            if msvcrt.kbhit():
                self.pending += msvcrt.getwch()
        elif select.select([self.fd], [], [], timeout)[0]:
            data = os.read(self.fd, 1024).decode(errors="ignore")
            if not data:  # end of input: no more keys, but keep watching
                self.fd, data = None, "\n"
            if self.tty:
                self.pending += data
            else:
                *lines, self.partial = (self.partial + data).split("\n")
                self.pending += "".join(line.strip()[:1] for line in lines)


class Screen:
    """Where watch mode writes: a screen redrawn in place on a terminal, else plain lines."""

    def __init__(self, out: TextIO, redraw: bool):
        self.out = out
        self.redraw = redraw

    def size(self) -> tuple[int, int]:
        """(columns, rows) to draw in; plain lines are as wide as a report and never cut."""
        if not self.redraw:
            return 100, 10_000
        size = shutil.get_terminal_size((80, 24))
        return max(40, size.columns), max(10, size.lines)

    def show(self, head: list[str], body: list[str], foot: list[str], start: int = 0) -> int:
        """Head and foot always; the body from line `start` on (from its top once `start` is past
        its end), cut to the rows between them, saying what is left. Returns the line the next
        page starts at: 0 when the rest of the body fits."""
        after = 0
        if self.redraw:
            _, rows = self.size()
            room = max(2, rows - len(head) - len(foot) - 1)
            start = start if start < len(body) else 0
            page = body[start:]
            if len(page) > room:
                after = start + room - 1
                left = len(body) - after
                page = page[:room - 1] + [f"  ... {left} more line{'s' if left > 1 else ''}: press space for the next page"]
            self.out.write(CLEAR + "\n".join(head + page + foot) + "\n")
        else:
            self.out.write("\n".join(head + body + foot) + "\n\n")
        self.out.flush()
        return after
