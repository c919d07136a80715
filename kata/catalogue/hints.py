"""Hints, one more each time they are asked for, remembered in a small state file; any hint
already shown can be read again. Losing the file does no harm: the hints start again."""

from __future__ import annotations

import contextlib
from pathlib import Path

from .. import ROOT
from ..files import read_json, write_json
from .course import Exercise

STATE = ROOT / ".kata-state.json"


def _state(path: Path) -> tuple[dict, dict]:
    """The state file's data, and in it the hints shown per exercise id (empty if it is odd)."""
    data = read_json(path)
    data = data if isinstance(data, dict) else {}
    if not isinstance(data.get("hints"), dict):
        data["hints"] = {}
    return data, data["hints"]


def hint(ex: Exercise, again: int | None = None, path: Path = STATE) -> tuple[int, str]:
    """(number, text) of the next hint for `ex`, counting from 1 (the last one repeats); or,
    with `again`, of that hint once more, if it has been shown (else of the next one)."""
    data, hints = _state(path)
    seen = hints.get(ex.id)
    seen = seen if isinstance(seen, int) else 0
    if again is not None and 1 <= again <= max(seen, 1):
        number = min(again, len(ex.hints))
        return number, ex.hints[number - 1]
    number = hints[ex.id] = min(seen + 1, len(ex.hints))
    with contextlib.suppress(OSError):  # a read-only checkout still gets its hints, from the first each time
        write_json(path, data)
    return number, ex.hints[number - 1]


def hint_lines(ex: Exercise, number: int, text: str) -> list[str]:
    """The hint itself, headed by which one it is."""
    return [f"Hint {number} of {len(ex.hints)} for exercise {ex.label}:", "",
            *("  " + line for line in text.splitlines())]
