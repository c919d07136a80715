"""Grading a batch of submissions: take each one in, grade them all in one warm session
(each submission's exercises in turn in a process of their own, several at once; see
kata.sharing), and write
grades.csv and one folder of results per submission."""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..meta import Exercise, chapter
from ..session import TESTS
from ..style import Style
from ..verdict import ExerciseResult, RunResult
from .hidden import hidden_tests
from .intake import Submission, submission_names, take_in
from .results import csv_header, csv_row, write_submission


class Progress:
    """A progress bar on one line of the terminal, redrawn as exercises finish."""

    def __init__(self, total: int, submissions: int):
        self.total = total
        self.done = 0
        self.submissions = submissions
        self.style = Style()

    def advance(self) -> None:
        self.done += 1
        plural = "s" if self.submissions != 1 else ""
        sys.stdout.write(f"\r{self.style.bar(self.done, self.total)} {self.done}/{self.total} exercises "
                         f"of {self.submissions} submission{plural}")
        sys.stdout.flush()

    def close(self) -> None:
        if self.done:
            sys.stdout.write("\n")
            sys.stdout.flush()


@contextlib.contextmanager
def _working_in(folder: Path) -> Iterator[None]:
    """Run learner code with `folder` as its current folder, so stray files it writes land there."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _take_in(source: Path, name: str, scratch: Path) -> Submission:
    try:
        return take_in(source, name, scratch)
    except Exception as e:  # one unreadable submission never stops the batch
        folder = scratch / "graded" / name
        folder.mkdir(parents=True, exist_ok=True)
        return Submission(name, source, folder, kind="none",
                          notes=[f"The submission could not be read ({type(e).__name__}: {e})."])


def unreadable(sub: Submission, exercises: list[Exercise]) -> RunResult:
    """The result of a submission with no exercise files: every exercise an error, no points."""
    message = sub.notes[-1] if sub.notes else "Nothing could be read from this submission."
    return RunResult(chapter(), sub.name, [
        ExerciseResult(ex, "error", 0.0, message, [], ex.file) for ex in exercises
    ])


def _absent(r: ExerciseResult, message: str, file: str) -> ExerciseResult:
    """`r` for an exercise the submission does not have: an error, with `message` on every test."""
    tests = [replace(t, status="error", message=message) for t in r.tests]
    return replace(r, status="error", score=0.0, message=message, tests=tests, where="", file=file)


def explain_missing(run: RunResult, sub: Submission) -> None:
    """Say plainly which exercises a submission does not have, in its own terms; messages of a
    notebook submission name its notebooks and cells, not the files made from them."""
    if sub.kind != "notebooks":
        run.exercises = [
            r if r.exercise.file in sub.files else _absent(r, MISSING_FILE.format(ex=r.exercise), r.exercise.file)
            for r in run.exercises
        ]
        return
    from ..notebook_target import read_sources, relabel

    sources = read_sources(sub.folder)
    run.exercises = [
        relabel(r, sources) if r.exercise.file in sources
        else _absent(r, MISSING_NOTEBOOK.format(ex=r.exercise), f"{r.exercise.stem}.ipynb")
        for r in run.exercises
    ]


MISSING_FILE = (
    "{ex.file} is missing from this submission, so exercise {ex.id} ({ex.name}) gets no points. "
    "To start it again from the stub: `python grader.py reset {ex.number}`."
)
MISSING_NOTEBOOK = (
    "This submission has no notebook for exercise {ex.id} ({ex.name}): expected {ex.stem}.ipynb, "
    "with its answer cells."
)


def grade_batch(sources: list[Path], out: Path, *, timeout: float, isolation: str | None = None,
                tests_dir: Path = TESTS, progress: bool = False) -> list[tuple[Submission, RunResult]]:
    """Grade every submission in `sources`; write out/grades.csv and out/<name>/ for each."""
    from ..engine import grade

    exercises = list(chapter().exercises)
    scratch = Path(tempfile.mkdtemp(prefix="kata-grade-"))
    try:
        subs = [_take_in(src, name, scratch) for src, name in zip(sources, submission_names(sources))]
        graded = [s for s in subs if s.readable]
        hidden = hidden_tests(tests_dir)
        runs: dict[str, RunResult] = {}

        def finish(sub: Submission, run: RunResult) -> None:
            run.target = sub.name
            if sub.readable:
                explain_missing(run, sub)
            write_submission(out / sub.name, sub.name, run, hidden, sub.notes,
                             {str(sub.folder): sub.name, str(scratch): "."})
            runs[sub.name] = run

        if graded:
            bar = Progress(len(graded) * len(exercises), len(graded)) if progress else None
            with _working_in(scratch):
                try:
                    # Each submission's files are written as soon as it is graded, while
                    # the others still are.
                    grade([s.folder for s in graded], exercises, timeout=timeout,
                          isolation=isolation, tests_dir=tests_dir,
                          on_result=(lambda _n, _r: bar.advance()) if bar else None,
                          on_target=lambda n, run: finish(graded[n], run))
                finally:
                    if bar:
                        bar.close()
        for sub in subs:
            if sub.name not in runs:
                finish(sub, unreadable(sub, exercises))
        done = [(sub, runs[sub.name]) for sub in subs]
        with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(csv_header(exercises))
            for sub, run in done:
                writer.writerow(csv_row(sub.name, run))
        return done
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
