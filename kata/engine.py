"""The warm grader: imports torch and pytest once, collects the tests once, and grades
every exercise in a process started from that state (a batch: each submission's
exercises in turn in one, see kata.sharing)."""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from . import depends
from .meta import Exercise, chapter
from .runner import Job, Outcome, Runner
from .session import TESTS, Collection, run_session
from .verdict import ExerciseResult, RunResult, judge

T = TypeVar("T")


# Thread pools that numpy's and torch's maths libraries start at import would be copied
# into every fork without their threads; the exercises' tensors are tiny, one thread will do.
SINGLE_THREADED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def warm_up() -> None:
    """Import what every exercise needs, without starting any thread pool (forks follow)."""
    for name in SINGLE_THREADED:
        os.environ[name] = "1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch

        torch.set_num_threads(1)


# A fork copies the page tables of the warm grader's memory and its end tears them down:
# some 60,000 entries for 4 KiB pages, a few milliseconds each way. Before a batch of
# forks, Linux (6.1 and later) is asked to hold the anonymous memory in 2 MiB pages, with
# 512 times fewer entries; elsewhere, or if it declines, nothing changes but the speed.
MANY_FORKS = 30
MADV_COLLAPSE = 25
HUGE_PAGE = 2 << 20
_collapsed = False


def fewer_page_tables() -> None:
    """Move the grader's anonymous memory to huge pages, once, where Linux can."""
    global _collapsed
    if _collapsed or not sys.platform.startswith("linux"):
        return
    _collapsed = True
    try:
        import ctypes

        madvise = ctypes.CDLL(None, use_errno=True).madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps") as f:
            maps = [line.split() for line in f]
    except (OSError, AttributeError):
        return
    for fields in maps:
        if fields[1] != "rw-p" or fields[5:] not in ([], ["[heap]"]):
            continue
        start, end = (int(x, 16) for x in fields[0].split("-"))
        start, end = -(-start // HUGE_PAGE) * HUGE_PAGE, end // HUGE_PAGE * HUGE_PAGE
        if end > start:
            madvise(start, end - start, MADV_COLLAPSE)


def make_runner(timeout: float, isolation: str | None, tests_dir: Path = TESTS,
                parallel: int | None = None) -> Runner:
    fork = None if isolation is None else isolation == "fork"
    runner = Runner(timeout=timeout, fork=fork, tests_dir=tests_dir, parallel=parallel)
    if parallel is None and runner.fork:
        # One fork more than there are cores: while one is started or torn down (the
        # grader waits for that), the others keep every core busy.
        runner.parallel += 1
    return runner


def jobs_for(collection: Collection, target: Path, exercises: list[Exercise], prefix: str = "") -> list[Job]:
    return [
        Job(key=f"{prefix}{ex.id}", exercise=ex, target=target, items=collection.for_exercise(ex),
            test_names=[item.name for item in collection.for_exercise(ex)])
        for ex in exercises
    ]


def verdict(collection: Collection, job: Job, outcome: Outcome) -> ExerciseResult:
    return judge(job.exercise, job.test_names, outcome, job.exercise.file,
                 collection.errors.get(job.exercise.id))


# Verdicts taken from a process that graded other exercises first (see Runner.run): any
# other verdict is confirmed with the exercise graded first in a fresh process.
SHARED_VERDICTS = ("pass", "not_started")


def grade_targets(collection: Collection, runner: Runner, targets: list[Path], exercises: list[Exercise],
                  on_result: Callable[[int, ExerciseResult], None] | None = None,
                  on_target: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Grade `exercises` of every folder in `targets` in one batch of processes.

    on_result(n, result) follows each exercise of targets[n]; on_target(n, run) follows
    the last one, while the other targets are still being graded.
    """
    started = time.monotonic()
    jobs: list[Job] = []
    owner: dict[str, int] = {}
    for n, target in enumerate(targets):
        for job in jobs_for(collection, target, exercises, prefix=f"t{n}-"):
            jobs.append(job)
            owner[job.key] = n
    results: dict[str, ExerciseResult] = {}
    runs: dict[int, RunResult] = {}
    left = {n: len(exercises) for n in range(len(targets))}
    if runner.fork and len(jobs) >= MANY_FORKS:
        fewer_page_tables()

    def done(job: Job, outcome: Outcome) -> None:
        n = owner[job.key]
        results[job.key] = verdict(collection, job, outcome)
        if on_result:
            on_result(n, results[job.key])
        left[n] -= 1
        if not left[n]:
            runs[n] = RunResult(chapter(), str(targets[n]), [results[j.key] for j in jobs if owner[j.key] == n],
                                seconds=time.monotonic() - started)
            note_waiting(runs[n], targets[n])
            if on_target:
                on_target(n, runs[n])

    def final(job: Job, outcome: Outcome) -> bool:
        return verdict(collection, job, outcome).status in SHARED_VERDICTS

    # A batch grades each target's exercises in turn in one process: a fork per exercise
    # costs more than grading it. One target is graded an exercise per process, all at
    # once, as a learner waiting for the result wants.
    runner.run(jobs, on_done=done, in_turn=len(exercises) if len(targets) > 1 else 1, final=final)
    return [runs[n] for n in range(len(targets))]


def note_waiting(run: RunResult, folder: Path) -> None:
    """Mark each failing exercise with the exercises it uses that fail too."""
    failing = {r.exercise.id: r.exercise for r in run.exercises if not r.passed}
    if not failing:
        return  # nothing to explain: the folder's files need not be read
    needs = depends.needs(folder)
    for r in run.exercises:
        if not r.passed:
            r.waiting_for = [failing[i] for i in sorted(needs.get(r.exercise.id, set()) & set(failing))]


def in_session(work: Callable[[Collection, Runner], T], *, timeout: float, isolation: str | None = None,
               tests_dir: Path = TESTS, parallel: int | None = None) -> T:
    """Start a warm session, return work(collection, runner) from inside it, end the session.

    Everything `work` grades is a fork of this warm process (or a fresh Python where
    there is no fork), so it may grade as often as it likes: watch mode loops here.
    """
    warm_up()
    runner = make_runner(timeout, isolation, tests_dir, parallel)
    try:
        return run_session(lambda c: work(c, runner), tests_dir)
    finally:
        runner.close()


def grade(targets: list[Path], exercises: list[Exercise], *, timeout: float, isolation: str | None = None,
          tests_dir: Path = TESTS, parallel: int | None = None,
          on_result: Callable[[int, ExerciseResult], None] | None = None,
          on_target: Callable[[int, RunResult], None] | None = None) -> list[RunResult]:
    """Start a session, grade every target, end the session."""
    return in_session(lambda c, runner: grade_targets(c, runner, targets, exercises, on_result, on_target),
                      timeout=timeout, isolation=isolation, tests_dir=tests_dir, parallel=parallel)


def grade_once(target: Path, exercises: list[Exercise], *, timeout: float,
               isolation: str | None = None, tests_dir: Path = TESTS) -> RunResult:
    return grade([target], exercises, timeout=timeout, isolation=isolation, tests_dir=tests_dir)[0]
