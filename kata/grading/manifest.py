"""Checksums of the tests and of the grader (kata/manifest.json), so that changed files are
noticed: every result names them. `python -m kata.dev update` records the current files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import ROOT
from ..files import read_json

MANIFEST = "kata/manifest.json"
COVERED = ("tests", "kata")


def _files(root: Path) -> list[Path]:
    found = [root / "grader.py"]
    for folder in COVERED:
        found += [
            p for p in (root / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".toml", ".ini", ".json", ".sh", ".gz")
            and p.relative_to(root).as_posix() != MANIFEST
        ]
    return sorted(p for p in found if p.exists())


def digest(path: Path) -> str:
    # Line endings are normalised: a checkout on Windows is not a changed file.
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


def compute(root: Path = ROOT) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): digest(p) for p in _files(root)}


def recorded(root: Path = ROOT) -> dict[str, str] | None:
    data = read_json(root / MANIFEST)
    return data.get("files") if isinstance(data, dict) else None


def changed_files(root: Path = ROOT) -> list[str]:
    """Files of the tests or grader that differ from the manifest (added, changed or missing)."""
    expected = recorded(root)
    if expected is None:
        return [MANIFEST]
    actual = compute(root)
    return sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))


def write(root: Path = ROOT) -> None:
    text = json.dumps({"version": 1, "files": compute(root)}, indent=1, sort_keys=True)
    (root / MANIFEST).write_text(text + "\n", encoding="utf-8")
