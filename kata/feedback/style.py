"""Colour and symbols for the terminal: colour only on a terminal and never with NO_COLOR,
plain ASCII where the terminal cannot show the symbols."""

from __future__ import annotations

import os
import sys
from typing import TextIO

CODES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class Style:
    """How text looks on one stream: colours where it is a terminal, symbols it can show."""

    def __init__(self, stream: TextIO | None = None, color: bool | None = None):
        stream = stream or sys.stdout
        self.color = color if color is not None else (
            hasattr(stream, "isatty") and stream.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "█░✔✘·⏱…▁▂▃▄▅▆▇█".encode(encoding)
            self.unicode = True
        except (UnicodeEncodeError, LookupError):
            self.unicode = False

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def symbol(self, status: str) -> str:
        symbols = {"pass": "✔+", "fail": "✘x", "error": "✘!", "timeout": "⏱T", "not_started": "·."}
        return symbols.get(status, "??")[0 if self.unicode else 1]

    def bar(self, done: float, total: float, width: int = 24) -> str:
        filled = round(width * done / total) if total else 0
        full, empty = ("█", "░") if self.unicode else ("#", "-")
        return self(full * filled, "green") + self(empty * (width - filled), "dim")
