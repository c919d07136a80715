"""The warm grader: imports torch and pytest once, collects the tests once, and grades each
exercise of each target in a process of its own, started from that warm state (an untouched
stub needs none: see `untouched`)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import TypeVar

from .. import ROOT
from ..catalogue import depends
from ..catalogue.course import Exercise
from ..catalogue.stubs import pristine_stub, still_raises, stub_lines
from ..outcomes import Ended, Kind, Location, Status, TestRecord, TestStatus
from . import manifest
from .audit import Auditor
from .results import ExerciseResult, RunResult, TestResult
from .runner import CAN_FORK, Job, Outcome, Runner
from .session import TESTS, Collection, run_session
from .target import Target
from .verdict import audited, judge
from .warm import warm_up

T = TypeVar("T")

class Grader:
    """Grades targets from inside a warm session, as often as it is asked (watch mode loops)."""

    def __init__(self, collection: Collection, runner: Runner, changed_files: tuple[str, ...], auditor: Auditor):
        self.collection = collection
        self.runner = runner
        self.changed_files = changed_files
        self.auditor = auditor

    def grade(self, targets: list[Target], exercises: list[Exercise],
              on_result: Callable[[int, ExerciseResult], None] | None = None,
              on_target: Callable[[int, RunResult], None] | None = None,
              on_wait: Callable[[], None] | None = None) -> list[RunResult]:
        """Grade the exercises of every target that it holds, several processes at once. on_result(n,
        result) follows each exercise of targets[n]; on_target(n, run) follows its last one, while
        the other targets may still be graded. An exercise whose tests pass is then audited
        (kata.grading.audit); the audits run together, once every exercise's tests have run."""
        started = time.monotonic()
        wanted = [[ex for ex in exercises if t.holds(ex)] for t in targets]
        results: list[dict[str, ExerciseResult]] = [{} for _ in targets]
        runs: dict[int, RunResult] = {}

        def graded(n: int, result: ExerciseResult | None = None) -> None:
            """Note a result of targets[n] (none if it holds nothing to grade); finish it once complete."""
            if result is not None:
                results[n][result.exercise.id] = result
                if on_result:
                    on_result(n, result)
            if len(results[n]) == len(wanted[n]):
                mine = [results[n][ex.id] for ex in wanted[n]]
                runs[n] = RunResult(targets[n].name, tuple(blame_earlier(mine, targets[n])), self.changed_files,
                                    time.monotonic() - started)
                if on_target:
                    on_target(n, runs[n])

        jobs: list[Job] = []
        owner: dict[str, int] = {}
        for n, target in enumerate(targets):
            if not wanted[n]:
                graded(n)
            for ex in wanted[n]:
                items = self.collection.for_exercise(ex)
                lacking = absent(ex, target, [item.name for item in items])
                if lacking is not None:
                    graded(n, lacking)
                    continue
                if untouched(ex, target):  # its verdict is known without a process: not started
                    graded(n, judge(ex, [item.name for item in items], not_started(ex, items), target))
                    continue
                jobs.append(Job(f"t{n}-{ex.id}", ex, target.folders, items, target.reset_hint))
                owner[jobs[-1].key] = n

        passing: dict[str, tuple[Job, ExerciseResult]] = {}

        def done(job: Job, outcome: Outcome) -> None:
            n = owner[job.key]
            result = judge(job.exercise, [item.name for item in job.items], outcome, targets[n],
                           self.collection.errors.get(job.exercise.id))
            if result.passed:
                passing[job.key] = (job, result)
            else:
                graded(n, result)

        self.runner.run(jobs, on_done=done, on_wait=on_wait)
        # Audited after every test has run: the grader holds the checks (hidden ones included)
        # only while no process of learner code is forked from it.
        # The target's own folders: a job may have read a private copy, gone with the job.
        found = self.auditor.audit([(key, job.exercise, targets[owner[key]].folders)
                                    for key, (job, _) in passing.items()])
        for key, (job, result) in passing.items():
            graded(owner[key], audited(result, found[key]))
        return [runs[n] for n in range(len(targets))]


def absent(ex: Exercise, target: Target, test_names: list[str]) -> ExerciseResult | None:
    """The result of an exercise whose code the target lacks, or that uses one it lacks; None
    for one that can be graded."""
    why = target.absent.get(ex.path)
    if why is None:
        other = next((e for e in depends.uses(ex) if e.path in target.absent), None)
        if other is None:
            return None
        why = f"{ex.name} uses your {other.name} (exercise {other.id}). {target.absent[other.path]}"
    tests = tuple(TestResult(name, TestStatus.ERROR, why) for name in test_names)
    return ExerciseResult(ex, Status.ERROR, 0.0, why, tests, target.file(ex))


@cache
def _stub(ex: Exercise) -> bytes | None:
    try:
        return pristine_stub(ex).encode("utf-8")
    except OSError:  # neither a kept stub nor the solution to make it from
        return None


def untouched(ex: Exercise, target: Target) -> bool:
    """Whether the target's file of `ex` is still the kata's stub, byte for byte. Then no code of the
    learner's is in it, every test stops at the stub's first line, and a process would only say
    "not started": an answer worth no points, which nothing else in the target can change."""
    stub = _stub(ex)
    if stub is None:
        return False
    # Only a plain file of the stub's size is read: a link is not followed, and a pipe or a device,
    # opened without waiting, is left unread.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        with open(os.open(target.folders[ex.folder] / ex.file, flags), "rb") as f:
            info = os.fstat(f.fileno())
            return stat.S_ISREG(info.st_mode) and info.st_size == len(stub) and f.read(len(stub) + 1) == stub
    except OSError:
        return False


def not_started(ex: Exercise, items: list) -> Outcome:
    """What the process of an untouched stub reports: each test stopped by the stub's NotImplementedError."""
    raise_line = stub_lines(ex, "")[1]
    lines = _stub(ex).decode("utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1) if line.strip() == raise_line)
    where = Location(ex.file, number, raise_line)
    records = [TestRecord(item.name, TestStatus.ERROR, still_raises(ex), Kind.NOT_STARTED, where) for item in items]
    return Outcome(records, running=None, ended=Ended.DONE)


def blame_earlier(results: list[ExerciseResult], target: Target) -> list[ExerciseResult]:
    """Each failing result, with the exercises it uses (in the target's files) that fail too."""
    failing = {r.exercise.id: r.exercise for r in results if not r.passed}
    if not failing:
        return results  # nothing to explain: the files need not be read
    needs: dict[str, set[str]] = {}
    for chapter in target.chapters:
        needs.update(depends.needs(target.folders[chapter.folder], chapter))
    return [r if r.passed else replace(r, waiting_for=tuple(
        failing[i] for i in sorted(needs.get(r.exercise.id, set()) & set(failing)))) for r in results]


def in_session(work: Callable[[Grader], T], exercises: list[Exercise], *, timeout: float,
               isolation: str | None = None, user: tuple[int, int] | None = None) -> T:
    """Start a warm session with the tests of `exercises`, return work(grader) from inside it, end it.
    Learner code runs as `user` (uid, gid) when one is given."""
    warm_up()
    fork = None if isolation is None else isolation == "fork"
    # The audit's driver is forked first: before pytest imports any test module, and before the
    # runner notes the processes it must leave alone.
    auditor = Auditor(TESTS, timeout=timeout, fork=CAN_FORK if fork is None else fork and CAN_FORK, user=user)
    runner = Runner(timeout=timeout, fork=fork, tests_dir=TESTS, user=user)
    changed = tuple(manifest.changed_files(ROOT))
    try:
        return run_session(lambda collection: work(Grader(collection, runner, changed, auditor)), TESTS, exercises)
    finally:
        auditor.close()
        runner.close()


def grade(targets: list[Target], exercises: list[Exercise], *, timeout: float, isolation: str | None = None,
          on_result: Callable[[int, ExerciseResult], None] | None = None,
          on_target: Callable[[int, RunResult], None] | None = None,
          user: tuple[int, int] | None = None) -> list[RunResult]:
    """Start a session, grade every target (learner code as `user`, if given), end the session."""
    return in_session(lambda grader: grader.grade(targets, exercises, on_result, on_target), exercises,
                      timeout=timeout, isolation=isolation, user=user)
