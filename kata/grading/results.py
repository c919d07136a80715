"""What grading found, as data: each test's and each exercise's result, and the run's. They are
made once, by kata.grading.verdict and .engine, with every place already named as the learner
knows it; the front ends only turn them into words (kata.feedback)."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalogue.course import Chapter, Exercise, course
from ..outcomes import Location, Status, TestStatus


@dataclass(frozen=True)
class NamedMistake:
    """A known mistake that a test named: its stable id (`04/sum-not-mean`) and its words."""

    id: str
    words: str


@dataclass(frozen=True)
class Credit:
    """The points of one test, where the course gives an exercise's points to its tests."""

    test: str  # the test function's name; its points count when all its cases pass
    score: float
    max_score: float


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a test class, though pytest would think so

    name: str
    status: TestStatus
    message: str = ""
    location: Location | None = None
    output: str = ""
    output_cut: int = 0  # bytes of output not kept
    properties: dict | None = None
    hidden: bool = False  # an instructor's hidden check: its details are for the instructor

    @property
    def mistakes(self) -> tuple[NamedMistake, ...]:
        """The named mistakes the test reported (conftest notes them), in order."""
        found = (self.properties or {}).get("mistakes")
        if not isinstance(found, list):
            return ()
        return tuple(NamedMistake(m["id"], m["words"]) for m in found if isinstance(m, dict)
                     and isinstance(m.get("id"), str) and isinstance(m.get("words"), str))


@dataclass(frozen=True)
class ExerciseResult:
    exercise: Exercise
    status: Status
    score: float
    message: str  # the first failure, without its place (see location)
    tests: tuple[TestResult, ...]
    file: str  # the exercise's file (or notebook) as the target holds it
    location: Location | None = None  # the learner's line that the failure points at
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the exercise's process
    waiting_for: tuple[Exercise, ...] = ()  # exercises it uses that do not pass either
    credit: tuple[Credit, ...] = ()  # per test, where the course gives the points to the tests

    def __post_init__(self) -> None:
        if self.exercise.partial and not self.credit:  # graded without running: no test earned its points
            object.__setattr__(self, "credit", tuple(Credit(n, 0.0, p) for n, p in self.exercise.test_points))

    @property
    def passed(self) -> bool:
        return self.status == Status.PASS

    @property
    def failing(self) -> list[TestResult]:
        return [t for t in self.tests if t.status != TestStatus.PASS]

    @property
    def mistakes(self) -> tuple[NamedMistake, ...]:
        """Every named mistake of its tests, each once, the first failing test's first."""
        return tuple(dict.fromkeys(m for t in self.failing for m in t.mistakes))


@dataclass(frozen=True)
class RunResult:
    target: str  # how the graded folder is named in reports
    exercises: tuple[ExerciseResult, ...]
    changed_files: tuple[str, ...] = ()  # the kata's files that differ from its manifest
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(r.score for r in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(r.exercise.points for r in self.exercises)

    @property
    def passed(self) -> bool:
        return bool(self.exercises) and all(r.passed for r in self.exercises)

    def chapters(self) -> list[tuple[Chapter, list[ExerciseResult]]]:
        """The results grouped by chapter, in course order."""
        groups: dict[int, list[ExerciseResult]] = {}
        for r in self.exercises:
            groups.setdefault(r.exercise.chapter, []).append(r)
        return [(course().chapter(number), results) for number, results in groups.items()]
