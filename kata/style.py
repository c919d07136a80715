"""Colour and symbols for the terminal: colour only on a terminal and never with NO_COLOR,
plain ASCII where the terminal cannot show the symbols."""

from __future__ import annotations

import os
import sys
from typing import TextIO

CODES = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}


class Style:
    def __init__(self, stream: TextIO | None = None, color: bool | None = None):
        stream = stream or sys.stdout
        if color is None:
            color = (
                hasattr(stream, "isatty") and stream.isatty()
                and "NO_COLOR" not in os.environ
                and os.environ.get("TERM") != "dumb"
            )
        self.color = color
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
        fancy = {"pass": "✔", "fail": "✘", "error": "✘", "timeout": "⏱", "not_started": "·"}
        plain = {"pass": "+", "fail": "x", "error": "!", "timeout": "T", "not_started": "."}
        return (fancy if self.unicode else plain).get(status, "?")

    def bar(self, done: float, total: float, width: int = 24) -> str:
        filled = round(width * done / total) if total else 0
        full, empty = ("█", "░") if self.unicode else ("#", "-")
        return self(full * filled, "green") + self(empty * (width - filled), "dim")

    def spark(self, numbers: list[float], width: int = 40) -> str:
        """A one-line chart of `numbers` (on a log scale, as losses fall over decades)."""
        import math

        if not numbers:
            return ""
        step = max(1, len(numbers) // width)
        sampled = numbers[::step][:width]
        logs = [math.log10(max(n, 1e-12)) if math.isfinite(n) else 12.0 for n in sampled]
        lo, hi = min(logs), max(logs)
        levels = "▁▂▃▄▅▆▇█" if self.unicode else "_.-=+*#@"
        span = (hi - lo) or 1.0
        return "".join(levels[min(7, int((v - lo) / span * 7.999))] for v in logs)
