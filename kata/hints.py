"""Hints, one more each time they are asked for, remembered in a small state file.

Losing the file does no harm: the hints simply start again from the first.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import ROOT
from .meta import Exercise

STATE = ROOT / ".kata-state.json"


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(path: Path, data: dict) -> None:
    try:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only checkout still gets its hints, from the first each time


def next_hint(ex: Exercise, path: Path = STATE) -> tuple[int, str]:
    """(number, text) of the next hint for `ex`, counting from 1; the last one repeats."""
    data = _load(path)
    shown = data.setdefault("hints", {})
    count = shown.get(ex.id, 0) if isinstance(shown.get(ex.id, 0), int) else 0
    number = min(count + 1, len(ex.hints))
    shown[ex.id] = number
    _save(path, data)
    return number, ex.hints[number - 1]


def render_hint(ex: Exercise, number: int, text: str, solutions: Path | None) -> str:
    lines = [f"Hint {number} of {len(ex.hints)} for exercise {ex.id} ({ex.name}):", ""]
    lines += ["  " + line for line in text.splitlines()]
    lines.append("")
    if number < len(ex.hints):
        lines.append(f"Run `python grader.py hint {ex.number}` again for the next one.")
    else:
        lines.append("That was the last hint.")
        if solutions is not None and (solutions / ex.file).exists():
            lines.append(f"The reference answer is in solutions/{ex.file}, once you want to compare.")
    return "\n".join(lines) + "\n"
