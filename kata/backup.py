"""Keeping a copy of a learner's file before the grader replaces it (reset, notebooks --force)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

FOLDER = ".kata-backups"


def backup(path: Path, folder: Path) -> Path:
    """Copy `path` into `folder`, under a name with the time, never over an earlier copy."""
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    copy = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while copy.exists():
        n += 1
        copy = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
    shutil.copy2(path, copy)
    return copy
