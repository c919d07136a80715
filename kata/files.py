"""File helpers shared by the commands: writing a file at once, keeping a copy before replacing one, and a
private copy of learner code for the user who runs it."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

BACKUPS = ".kata-backups"


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace `path` with `data` in one step, so that a reader never sees half a file. The new
    file gets the permissions a plain new file would get (mkstemp's are private). OSError when
    it cannot be written; nothing is left behind then."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, rows: list[list[object]]) -> None:
    """Write `rows` as CSV, in UTF-8 with a byte-order mark (without which Excel reads `Zoë` as
    `ZoÃ«`). A text cell that a spreadsheet would take for a formula (it starts with = + - @, a tab
    or a carriage return) gets a leading apostrophe, so it stays text: cells may be a student's."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA) else cell for cell in row])
    write_atomically(path, "\ufeff" + out.getvalue())


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def write_json(path: Path, data: object) -> None:
    write_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: Path) -> object | None:
    """The JSON in `path`, or None when it is missing or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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


def private_copy(folders: dict[str, Path], home: Path, user: tuple[int, int]) -> dict[str, Path]:
    """Copy each folder of learner code into home/code/<name>, readable by `user` (uid, gid) alone;
    the copies, by name. Links are copied as links, never followed. OSError (nothing is left
    behind then) when it cannot be made."""
    try:
        home.mkdir()
        home.chmod(0o700)
        copies = {}
        for name, folder in folders.items():
            copies[name] = home / "code" / name
            if folder.is_dir():
                shutil.copytree(folder, copies[name], symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        for path in [home, *home.rglob("*")]:
            os.chown(path, *user, follow_symlinks=False)
    except OSError:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return copies
