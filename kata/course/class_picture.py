"""The class as a whole, from every submission's result: how each exercise went, which named
mistakes were made and by whom, the totals, the slowest exercises. `grade` writes it beside
grades.csv as mistakes.csv and exercises.csv (made here) and class.html (class_page.py), all
from one ClassPicture, so that the page and the files always agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalogue.course import Exercise
from ..feedback.render import points
from ..grading.results import ExerciseResult, RunResult
from ..outcomes import Status
from .intake import Submission

STATUSES = (Status.PASS, Status.FAIL, Status.ERROR, Status.TIMEOUT, Status.NOT_STARTED)


@dataclass(frozen=True)
class Student:
    id: str  # the submission's id, which names its folder of results
    name: str  # as it was submitted


@dataclass
class MistakeCount:
    """One named mistake of one exercise, and the submissions that made it."""

    id: str
    words: str
    example: str  # the message of one test that named it, as the learner read it
    students: list[Student] = field(default_factory=list)


@dataclass
class ExerciseSummary:
    exercise: Exercise
    counts: dict[Status, int]  # submissions per status
    scores: list[float]
    mistakes: list[MistakeCount]  # most made first
    slowest: tuple[float, Student] | None  # the longest grading, in seconds, and whose

    @property
    def mean_score(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else 0.0


@dataclass
class ClassPicture:
    totals: list[tuple[Student, float]]
    max_score: float
    exercises: list[ExerciseSummary]
    changed: list[tuple[Student, tuple[str, ...]]]  # submissions graded with changed tests, and what changed


def class_picture(exercises: list[Exercise], done: list[tuple[Submission, RunResult]]) -> ClassPicture:
    """What the class did in `exercises`, from each submission and its result."""
    by_exercise: dict[str, list[tuple[Student, ExerciseResult]]] = {ex.id: [] for ex in exercises}
    for sub, run in done:
        for r in run.exercises:
            by_exercise.setdefault(r.exercise.id, []).append((Student(sub.id, sub.name), r))
    summaries = [_summary(ex, by_exercise[ex.id]) for ex in exercises]
    return ClassPicture(
        totals=[(Student(sub.id, sub.name), run.score) for sub, run in done],
        max_score=sum(ex.points for ex in exercises),
        exercises=summaries,
        changed=[(Student(sub.id, sub.name), run.changed_files) for sub, run in done if run.changed_files],
    )


def _summary(ex: Exercise, results: list[tuple[Student, ExerciseResult]]) -> ExerciseSummary:
    counts = {status: sum(r.status == status for _, r in results) for status in STATUSES}
    found: dict[str, MistakeCount] = {}
    for student, r in results:
        # One id may stand for a few wordings of the same mistake: a submission counts once.
        for mistake in {m.id: m for m in reversed(r.mistakes)}.values():
            entry = found.get(mistake.id)
            if entry is None:
                example = next(t.message for t in r.failing if mistake in t.mistakes)
                entry = found[mistake.id] = MistakeCount(mistake.id, mistake.words, example)
            entry.students.append(student)
    ranked = sorted(found.values(), key=lambda m: (-len(m.students), m.id))
    slowest = max(((r.seconds, s) for s, r in results), key=lambda x: x[0], default=None)
    return ExerciseSummary(ex, counts, [r.score for _, r in results], ranked, slowest)


def mistakes_csv(picture: ClassPicture) -> list[list[object]]:
    rows: list[list[object]] = [["exercise", "mistake", "words", "count", "submissions"]]
    for summary in picture.exercises:
        for m in summary.mistakes:
            rows.append([f"ex{summary.exercise.id}", m.id, m.words, len(m.students),
                         " ".join(s.id for s in m.students)])
    return rows


def exercises_csv(picture: ClassPicture) -> list[list[object]]:
    rows: list[list[object]] = [["exercise", "name", "passed", "failed", "error", "timeout", "not_started",
                                 "mean_score", "max_score"]]
    for s in picture.exercises:
        rows.append([f"ex{s.exercise.id}", s.exercise.name, *(s.counts[status] for status in STATUSES),
                     f"{s.mean_score:.3g}", points(s.exercise.points)])
    return rows
