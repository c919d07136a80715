"""A notebook's Try-it cell, run in an exercise's process instead of the exercise's tests.

The cell's code runs with the names of the learner's module, as the exercise file's own
`if __name__ == "__main__":` block does when the file is run. What it prints is kept in a
file beside the cell's, its figures (matplotlib's) in PNG files, so that the notebook shows
them; the process reports how the cell ended as one test record named "this cell".
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from pathlib import Path

from ..catalogue.course import Exercise
from ..outcomes import Done, TestRecord, TestStatus, Tested
from .explain import LoadError, behaviour, exception_summary, learner_frame
from .loader import Learner
from .run import Send

KEEP = 20_000  # characters of the cell's printing that are kept; the rest is counted


class Capped(io.TextIOBase):
    """A text stream that writes at once to a file, up to `limit` characters, and counts the rest."""

    def __init__(self, path: Path, limit: int):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.limit = limit
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        room = self.limit - self.size
        if room > 0:
            data = text[:room].encode("utf-8", errors="replace")
            while data:
                data = data[os.write(self.fd, data):]
        self.size += len(text)
        return len(text)


def results(cell: Path) -> tuple[str, list[bytes]]:
    """What the cell printed (as much as was kept), and the figures it drew, in order, as PNG."""
    try:
        printed = cell.with_suffix(".out").read_text(encoding="utf-8", errors="replace")
    except OSError:
        printed = ""
    figures = sorted(cell.parent.glob(f"{cell.stem}-figure-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return printed, [p.read_bytes() for p in figures]


def run(ex: Exercise, folders: dict[str, Path], cell: Path, send: Send) -> None:
    """Run the code in the file `cell` against the learner's module for `ex`; report how it ended."""
    learner = Learner(folders)
    out = Capped(cell.with_suffix(".out"), KEEP)
    sys.stdout = sys.stderr = out
    # Figures are drawn into files here; plt.show() has nothing to show, and need not say so.
    warnings.filterwarnings("ignore", message=".*non-interactive, and thus cannot be shown")
    record = TestRecord("this cell", TestStatus.PASS)
    try:
        namespace = dict(vars(learner.load(ex)), __name__="__main__")
        exec(compile(cell.read_bytes(), str(cell), "exec", dont_inherit=True), namespace)
        pyplot = sys.modules.get("matplotlib.pyplot")
        for n, number in enumerate(pyplot.get_fignums() if pyplot else [], 1):
            pyplot.figure(number).savefig(cell.with_name(f"{cell.stem}-figure-{n}.png"), format="png",
                                          bbox_inches="tight")
    except BaseException as exc:  # learner code may raise anything, SystemExit included
        record.status = TestStatus.ERROR
        if isinstance(exc, LoadError):  # the code cell itself did not load, or took a shortcut
            record.message, record.location = str(exc), exc.location
        else:
            record.message = behaviour(exc) or f"Your code raised {exception_summary(exc)}"
            record.location = learner_frame(exc, learner.prefixes)
    record.properties = {"printed": out.size}
    send(Tested(record))
    send(Done())
