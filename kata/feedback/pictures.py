"""Pictures drawn with characters from what a test recorded: loss curves as sparklines, a
classifier's decision boundary beside a correct one, and a digit reader's confusion matrix with
some of the digits it misread."""

from __future__ import annotations

import math
import textwrap

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


def boundary(data: dict, unicode: bool, width: int) -> list[str]:
    """Two grids of predicted classes over the data's box (a string of "0" and "1" per row, top
    first), the learner's and a correct one, with the training points: a line straight across
    the moons is a model without a nonlinearity, one class only a model that learned nothing.
    Side by side where `width` allows, else one above the other."""
    cols, rows = data["cols"], data["rows"]
    x0, x1, y0, y1 = data["box"]
    area = {"0": "·" if unicode else ".", "1": " "}
    mark = {0: "●" if unicode else "o", 1: "○" if unicode else "x"}
    side, top, tl, tr, bl, br = ("│", "─", "┌", "┐", "└", "┘") if unicode else ("|", "-", "+", "+", "+", "+")
    drawn = []
    for grid in (data["yours"], data["correct"]):
        cells = [[area[c] for c in row] for row in grid]
        for x, y, label in data["points"]:
            col = min(cols - 1, max(0, int((x - x0) / (x1 - x0) * cols)))
            row = min(rows - 1, max(0, int((y1 - y) / (y1 - y0) * rows)))
            cells[row][col] = mark[label]
        drawn.append([tl + top * cols + tr, *(side + "".join(r) + side for r in cells), bl + top * cols + br])
    titles = [["your model:", f"{data['accuracy']:.1%} of new moons right"],
              ["a correct boundary:", f"{data['correct_accuracy']:.1%} of new moons right"]]
    # A title wider than its grid goes on over more lines, never cut: both grids start on the same row.
    wrapped = [[part for line in t for part in textwrap.wrap(line, cols + 2)] for t in titles]
    height = max(map(len, wrapped))
    titled = [[line.ljust(cols + 2) for line in w + [""] * (height - len(w))] + grid for w, grid in zip(wrapped, drawn)]
    if 2 * (cols + 2) + 3 <= width:
        lines = ["   ".join(parts) for parts in zip(*titled)]
    else:
        lines = [*titled[0], "", *titled[1]]
    return lines + [f"{mark[0]} upper moon (class 0)  {mark[1]} lower moon (class 1)  {area['0']} the model says 0"]


def boundary_picture(r: ExerciseResult, s: Style, width: int) -> list[str]:
    """The decision boundary a test of the exercise recorded, if one did, to fit in `width` columns."""
    found = next(((t.properties or {}).get("boundary") for t in r.tests if (t.properties or {}).get("boundary")), None)
    return boundary(found, s.unicode, width) if found else []


def digits(data: dict, unicode: bool, width: int) -> list[str]:
    """The confusion matrix (rows: the truth, columns: the model's answer), then misread digits drawn
    in block characters, as many side by side as `width` allows, each captioned "yours: 3, truth: 8"."""
    matrix = data["matrix"]
    dot = "·" if unicode else "."
    lines = [f"your network read {data['accuracy']:.1%} of the digits it never saw right",
             "confusion matrix, rows: the truth, columns: your network's answer",
             "       " + "".join(f"{j:>4}" for j in range(len(matrix)))]
    lines += [f"  {i:>3}  " + "".join(f"{n:>4}" if n else f"{dot:>4}" for n in row) for i, row in enumerate(matrix)]
    shades = " ░▒▓█" if unicode else " .:#@"
    drawn = []
    for digit in data["wrong"]:
        rows = [digit["pixels"][r * 8:r * 8 + 8] for r in range(8)]
        drawn.append([f"yours: {digit['yours']}, truth: {digit['truth']}",
                      *("".join(shades[min(4, (v * 5) // 17)] * 2 for v in row) for row in rows)])
    per_line = max(1, (width + 2) // 20)
    if drawn:
        lines += ["", "some digits it misread:"]
    for start in range(0, len(drawn), per_line):
        group = drawn[start:start + per_line]
        lines += ["  ".join(part.ljust(18) for part in parts).rstrip() for parts in zip(*group)] + [""]
    return lines


def digits_picture(r: ExerciseResult, s: Style, width: int) -> list[str]:
    """What a digit reader the tests trained recorded, if one did: its confusion matrix and a few
    digits it misread, to fit in `width` columns."""
    found = next(((t.properties or {}).get("digits") for t in r.tests if (t.properties or {}).get("digits")), None)
    return digits(found, s.unicode, width) if found else []


def pictures(r: ExerciseResult, s: Style, width: int) -> list[str]:
    """Every picture the exercise's tests recorded data for, to fit in `width` columns."""
    return loss_curves(r, s) + boundary_picture(r, s, width) + digits_picture(r, s, width)
