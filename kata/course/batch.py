"""Grading a batch of submissions: take each one in, grade them all in one warm session
(each exercise in a process of its own, several at once), and write grades.csv, the class
picture (class.html, mistakes.csv, exercises.csv) and one folder of results per submission."""

from __future__ import annotations

import contextlib
import sys
import shutil
import tempfile
import time
from pathlib import Path

from ..catalogue.course import Chapter, course
from ..feedback.style import Style
from ..grading.engine import grade
from ..grading.results import ExerciseResult, RunResult, TestResult
from ..grading.session import TESTS
from ..outcomes import Status, TestStatus
from .hidden import hidden_tests
from .class_page import write_class_files
from .intake import Submission, submission_ids, take_in
from .results import write_grades, write_submission


class Progress:
    """A progress bar on one line of the terminal, redrawn as exercises finish."""

    def __init__(self, total: int, submissions: int):
        self.done, self.total, self.style = 0, total, Style()
        self.label = f"exercises of {submissions} submission{'s' if submissions != 1 else ''}"

    def advance(self, *_) -> None:
        self.done += 1
        print(f"\r{self.style.bar(self.done, self.total)} {self.done}/{self.total} {self.label}", end="", flush=True)

    def close(self) -> None:
        if self.done:
            print(flush=True)


def learners_folder(scratch: Path, user: tuple[int, int] | None) -> Path:
    """scratch/work, the current folder of learner code, so that stray files it writes land there.
    With `user` (uid, gid), each exercise runs in a private folder of its own instead, with a
    private copy of its submission's code (see Runner), and scratch is the grader's alone."""
    work = scratch / "work"
    work.mkdir()
    if user is not None:
        scratch.chmod(0o700)
    return work


def unreadable(sub: Submission, chapters: list[Chapter]) -> RunResult:
    """The result of a submission with nothing to grade: every exercise an error, no points."""
    message = sub.notes[-1] if sub.notes else "Nothing could be read from this submission."
    failed = (TestResult("all tests", TestStatus.ERROR, message),)
    return RunResult(sub.name, tuple(ExerciseResult(ex, Status.ERROR, 0.0, message, failed, ex.path)
                                     for c in chapters for ex in c.exercises))


def graded_chapters(subs: list[Submission], asked: list[Chapter]) -> list[Chapter]:
    """The chapters to grade: those asked for, or else those that any submission holds files of
    (every chapter when none holds any), so that every row of grades.csv has the same columns."""
    if len(asked) < len(course().chapters):
        return asked
    held = {path.split("/")[0] for sub in subs for path in sub.files}
    return [c for c in asked if c.folder in held] or asked


def grade_batch(sources: list[Path], out: Path, chapters: list[Chapter], *, timeout: float, started: float,
                isolation: str | None = None, progress: bool = False,
                user: tuple[int, int] | None = None) -> list[tuple[Submission, RunResult]]:
    """Grade every submission in `sources`, learner code as `user` (uid, gid) if one is given; write
    out/grades.csv and out/<id>/ for each, each result timed from `started` (time.monotonic())."""
    scratch = Path(tempfile.mkdtemp(prefix="kata-grade-"))
    try:
        subs = [take_in(src, id, scratch) for src, id in zip(sources, submission_ids(sources))]
        graded = [s for s in subs if s.readable]
        chapters = graded_chapters(graded, chapters)
        exercises = [ex for c in chapters for ex in c.exercises]
        hidden = hidden_tests(TESTS)
        runs: dict[str, RunResult] = {}
        unwritten: list[Submission] = []

        def finish(sub: Submission, run: RunResult, last_try: bool = False) -> None:
            runs[sub.id] = run
            try:
                write_submission(out / sub.id, run, hidden, sub.notes,
                                 {str(sub.folder): sub.name, str(scratch): "."}, time.monotonic() - started)
            except OSError as e:  # a full disk, say: tried again once learner code has ended
                if not last_try:
                    unwritten.append(sub)
                else:
                    print(f"The results of {sub.id} could not be written ({e}); its row of grades.csv will be.",
                          file=sys.stderr)

        if graded:
            bar = Progress(len(graded) * len(exercises), len(graded)) if progress else None
            with contextlib.chdir(learners_folder(scratch, user)):
                try:
                    # Each submission's files are written as soon as it is graded, while the others still are.
                    grade([s.target(chapters) for s in graded], exercises, timeout=timeout, isolation=isolation,
                          on_result=bar.advance if bar else None,
                          on_target=lambda n, run: finish(graded[n], run), user=user)
                finally:
                    if bar:
                        bar.close()
        for sub in subs:
            if sub.id not in runs:
                finish(sub, unreadable(sub, chapters))
        # What learner code wrote is gone now (see Runner), and the room it took with it.
        shutil.rmtree(scratch / "work", ignore_errors=True)
        for sub in unwritten:
            finish(sub, runs[sub.id], last_try=True)
        done = [(sub, runs[sub.id]) for sub in subs]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # Last, once the files learner code wrote are gone: a disk it filled has room again.
    write_grades(out / "grades.csv", exercises, done)
    try:
        write_class_files(out, exercises, done)
    except OSError as e:
        print(f"The class picture could not be written ({e}); grades.csv and the results were.", file=sys.stderr)
    return done
