"""From what an exercise's process reported to a verdict: status, score and message.

A test counts as passed only when its own report says so. Tests without a report (the
process hung, crashed or exited first) count as not passed, whatever the exit status.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .meta import Chapter, Exercise
from .runner import Outcome

STATUSES = ("pass", "fail", "not_started", "error", "timeout")


@dataclass
class TestResult:
    name: str
    status: str  # pass | fail | error | skip
    message: str = ""
    output: str = ""
    output_cut: int = 0  # bytes of output not kept
    properties: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = {"name": self.name, "status": self.status, "message": self.message,
                "output": self.output, "output_cut": self.output_cut}
        if self.output_cut:
            data["output"] += f"\n[... {self.output_cut} more bytes of output cut]"
        if self.properties:
            data["properties"] = self.properties
        return data


@dataclass
class ExerciseResult:
    exercise: Exercise
    status: str
    score: float
    message: str
    tests: list[TestResult]
    file: str
    where: str = ""  # "file, line N" when the failure points at a line of the learner's code
    seconds: float = 0.0
    waiting_for: list[Exercise] = field(default_factory=list)  # used exercises that fail too

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def note(self) -> str:
        """Why an earlier exercise may be the real cause of this one's failure."""
        if not self.waiting_for:
            return ""
        names = [f"{e.name} (exercise {e.id})" for e in self.waiting_for]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        verb = "does" if len(names) == 1 else "do"
        first = self.waiting_for[0]
        return (f"Note: {self.exercise.name} uses your {listed}, which {verb} not pass yet. "
                f"Fix exercise {first.id} first: its mistakes show up here too.")

    def to_json(self) -> dict:
        return {
            "id": self.exercise.id,
            "name": self.exercise.name,
            "file": self.file,
            "status": self.status,
            "score": self.score,
            "max_score": self.exercise.points,
            "message": f"{self.note}\n{self.message}" if self.note else self.message,
            "seconds": round(self.seconds, 3),
            "tests": [t.to_json() for t in self.tests],
        }


@dataclass
class RunResult:
    chapter: Chapter
    target: str
    exercises: list[ExerciseResult]
    changed_files: list[str] = field(default_factory=list)
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

    @property
    def changed_note(self) -> str:
        """A sentence about files of the kata that differ from its manifest; empty if none."""
        if not self.changed_files:
            return ""
        return ("These files differ from the kata's originals (kata/manifest.json), so this "
                "result may differ from an official grade: " + ", ".join(self.changed_files) + ".")

    def first_unfinished(self) -> ExerciseResult | None:
        return next((r for r in self.exercises if not r.passed), None)

    def to_json(self) -> dict:
        return {
            "version": 1,
            "status": "pass" if self.passed else "fail",
            "score": self.score,
            "max_score": self.max_score,
            "target": self.target,
            "changed_files": self.changed_files,
            "changed_files_note": self.changed_note,
            "seconds": round(self.seconds, 3),
            "exercises": [r.to_json() for r in self.exercises],
        }


_AT_LINE = re.compile(r"(ex\d\d_\w+\.py), line (\d+)")


def _where(message: str) -> str:
    m = _AT_LINE.search(message)
    return f"{m.group(1)}, line {m.group(2)}" if m else ""


def _fault_location(fault: str) -> str:
    """The learner's line in a faulthandler dump, innermost first."""
    for line in fault.splitlines():
        m = re.search(r'File "([^"]*[/\\](ex\d\d_\w+\.py))", line (\d+)', line)  # not test_ex...
        if m:
            return f"{m.group(2)}, line {m.group(3)}"
    return ""


def judge(ex: Exercise, test_names: list[str], outcome: Outcome, file: str,
          collection_error: str | None = None) -> ExerciseResult:
    """The verdict on one exercise from its process's reports."""
    if collection_error is not None:
        message = (
            f"The tests for exercise {ex.id} could not be loaded, so it cannot be graded. "
            "This is a problem with the kata's tests, not your code: "
            f"{collection_error.strip().splitlines()[-1] if collection_error.strip() else ''}"
        )
        return ExerciseResult(ex, "error", 0.0, message, [], file)
    by_name = {r.get("name"): r for r in outcome.records}
    tests: list[TestResult] = []
    kinds: dict[str, str] = {}
    for name in test_names:
        record = by_name.get(name)
        if record is None:
            tests.append(TestResult(name, "error", _missing_message(name, outcome)))
            continue
        cut = max(0, int(record.get("output_size", 0)) - len(record.get("output", "").encode()))
        tests.append(TestResult(
            name, record["status"], record.get("message", ""), record.get("output", ""), cut,
            record.get("properties") or {},
        ))
        kinds[name] = record.get("kind", "")
    failing = [t for t in tests if t.status != "pass"]
    if not tests:
        status, message = "error", f"No tests were found for exercise {ex.id}."
    elif not failing:
        status, message = "pass", ""
    elif outcome.ended == "timeout":
        status, message = "timeout", _missing_message(outcome.running or failing[0].name, outcome)
    elif outcome.ended in ("crash", "exit") and outcome.running is None and not outcome.records:
        status, message = "error", BEFORE_FIRST_TEST.format(ex.id, outcome.detail)
    elif outcome.ended in ("crash", "exit"):
        status, message = "error", _missing_message(outcome.running or failing[0].name, outcome)
    elif kinds.get(failing[0].name) == "not_started" and not any(t.status == "pass" for t in tests):
        status, message = "not_started", failing[0].message
    elif kinds.get(failing[0].name) == "grave":
        status, message = "error", failing[0].message
    else:
        status, message = "fail", failing[0].message
    where = _where(message) or (_fault_location(outcome.fault) if outcome.ended in ("crash", "exit", "timeout") else "")
    return ExerciseResult(ex, status, ex.points if status == "pass" else 0.0, message, tests, file, where, outcome.seconds)


# No learner code runs before the first test starts.
BEFORE_FIRST_TEST = (
    "The grader could not run the tests of exercise {}: its process ended before the first "
    "test ({}). This is not caused by your code; please report it (README.md, 'Reporting a "
    "problem')."
)


def _missing_message(name: str, outcome: Outcome) -> str:
    if outcome.ended == "timeout":
        where = _fault_location(outcome.fault)
        at = f" It was busy at {where}." if where else ""
        return (
            f"{name} did not finish: {outcome.detail}.{at} Look for a loop that never ends, "
            "a computation far bigger than the exercise needs, or code that waits for ever."
        )
    if outcome.ended == "crash":
        where = _fault_location(outcome.fault)
        at = f" at {where}" if where else ""
        return f"Python itself crashed while running {name}{at}: {outcome.detail}."
    if outcome.ended == "exit":
        where = _fault_location(outcome.fault)
        cause = f"Your code called os._exit() at {where}" if where else \
            "Your code probably called os._exit() or something like it"
        return (
            f"The test process ended while running {name}: {outcome.detail}. {cause}; a test "
            "that does not run to the end never counts as passed."
        )
    if outcome.ended == "stopped":
        return f"{name} was not run: {outcome.detail}."
    return f"{name} did not report a result."
