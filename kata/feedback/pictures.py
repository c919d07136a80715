"""Pictures drawn with characters from what a test recorded: loss curves as sparklines."""

from __future__ import annotations

import math

from ..grading.results import ExerciseResult
from .style import Style


def spark(numbers: list[float], unicode: bool) -> str:
    """A one-line chart of `numbers` (on a log scale, as losses fall over decades)."""
    if not numbers:
        return ""
    logs = [math.log10(max(n, 1e-12)) if math.isfinite(n) else 12.0 for n in numbers]
    lo, hi = min(logs), max(logs)
    levels = "▁▂▃▄▅▆▇█" if unicode else "_.-=+*#@"
    span = (hi - lo) or 1.0
    return "".join(levels[min(7, int((v - lo) / span * 7.999))] for v in logs)


def _evenly(numbers: list[float], width: int) -> list[float]:
    if len(numbers) <= width:
        return numbers
    return [numbers[round(i * (len(numbers) - 1) / (width - 1))] for i in range(width)]


def loss_curves(r: ExerciseResult, s: Style, width: int = 40) -> list[str]:
    """The learner's loss curve beside the expected one, on one scale, when a test recorded both."""
    for t in r.tests:
        properties = t.properties or {}
        yours, expected = properties.get("losses"), properties.get("expected_losses")
        if yours and expected:
            a, b = _evenly(yours, width), _evenly(expected, width)
            line = spark(a + b, s.unicode)
            return [f"loss, yours:    {line[:len(a)]}", f"loss, expected: {line[len(a):]}"]
    return []


def pictures(r: ExerciseResult, s: Style) -> list[str]:
    """Every picture the exercise's tests recorded data for."""
    return loss_curves(r, s)
