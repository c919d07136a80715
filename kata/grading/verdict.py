"""From what an exercise's process reported to a verdict: status, score and message.

A test counts as passed only when its own report says so. Tests without a report (the
process hung, crashed or exited first) count as not passed, whatever the exit status.
"""

from __future__ import annotations

from dataclasses import replace

from ..catalogue.course import Exercise
from ..outcomes import Kind, Status, TestRecord, TestStatus
from .audit import Finding
from .results import ExerciseResult, TestResult
from .runner import Outcome
from .target import Target

# No learner code runs before the first test starts.
BEFORE_FIRST_TEST = ("The grader could not run the tests of exercise {}: its process ended before the first "
                     "test ({}). This is not caused by your code; please report it (README.md, 'Reporting "
                     "a problem').")
# Where to look when the learner's code did not end in time.
STUCK = ("Look for a loop that never ends, a computation far bigger than the exercise needs, or code that "
         "waits for ever.")


def judge(ex: Exercise, test_names: list[str], outcome: Outcome, target: Target,
          collection_error: str | None = None) -> ExerciseResult:
    """The verdict on one exercise from its process's reports, with its places as the target names them."""
    file = target.file(ex)
    if collection_error is not None:
        last = (collection_error.strip().splitlines() or [""])[-1]
        message = (f"The tests for exercise {ex.id} could not be loaded, so it cannot be graded. "
                   f"This is a problem with the kata's tests, not your code: {last}")
        return ExerciseResult(ex, Status.ERROR, 0.0, message, (), file)
    by_name = {r.name: r for r in outcome.records}
    records = [by_name.get(name) or TestRecord(name, TestStatus.ERROR, _missing_message(name, outcome),
                                               location=outcome.where) for name in test_names]
    tests = tuple(TestResult(r.name, r.status, r.message, target.place(ex, r.location), r.output,
                             max(0, r.output_size - len(r.output.encode())), r.properties or None) for r in records)
    failing = [t for t in tests if t.status != TestStatus.PASS]
    kind = next((r.kind for r in records if r.status != TestStatus.PASS), None)  # the first failing test's
    where = failing[0].location if failing else None
    if not tests:
        status, message = Status.ERROR, f"No tests were found for exercise {ex.id}."
    elif not failing:
        status, message = Status.PASS, ""
    elif outcome.ended in ("crash", "exit") and outcome.running is None and not outcome.records:
        status, message = Status.ERROR, BEFORE_FIRST_TEST.format(ex.id, outcome.detail)
    elif outcome.ended in ("timeout", "crash", "exit"):
        status = Status.TIMEOUT if outcome.ended == "timeout" else Status.ERROR
        message = _missing_message(outcome.running or failing[0].name, outcome)
        where = target.place(ex, outcome.where)
    elif kind == Kind.NOT_STARTED and not any(t.status == TestStatus.PASS for t in tests):
        status, message = Status.NOT_STARTED, failing[0].message
    elif kind == Kind.GRAVE:
        status, message = Status.ERROR, failing[0].message
    else:
        status, message = Status.FAIL, failing[0].message
    return ExerciseResult(ex, status, ex.points if status == Status.PASS else 0.0, message, tests, file,
                          where, outcome.seconds, outcome.cpu)

# The teaching tests passed; the grader's own check, outside the learner's process, did not.
DISAGREED = ("The tests pass, but the grader's own check of your values did not: {}. That check calls your "
             "code on freshly drawn inputs in a process of its own, and points count only when it agrees "
             "too. Code that computes its answer from its arguments passes both.")
HIDDEN_CHECK = "hidden check {}"
HIDDEN_FAILED = "A hidden check of your instructor's did not pass."


def audited(result: ExerciseResult, finding: Finding) -> ExerciseResult:
    """The verdict on an exercise whose tests passed, once its audit is in: a disagreement, or a
    hidden check that failed, fails it. A hidden check is reported by its mistake alone."""
    hidden = tuple(TestResult(HIDDEN_CHECK.format(n), TestStatus.PASS if ok else TestStatus.FAIL,
                              "" if ok else HIDDEN_FAILED + (f" It looks for this mistake: {mistake}." if mistake
                                                             else ""), hidden=True)
                   for n, (ok, mistake) in enumerate(finding.hidden, 1))
    failed = next((t for t in hidden if t.status != TestStatus.PASS), None)
    if finding.disagreed:
        message = DISAGREED.format(finding.disagreed)
    elif failed is not None:
        message = failed.message
    else:
        return replace(result, tests=result.tests + hidden)
    return replace(result, status=Status.FAIL, score=0.0, message=message, tests=result.tests + hidden,
                   location=None)


def _missing_message(name: str, outcome: Outcome) -> str:
    if outcome.ended == "timeout":
        return f"{name} did not finish: {outcome.detail}. {STUCK}"
    if outcome.ended == "crash":
        return f"Python itself crashed while running {name}: {outcome.detail}."
    if outcome.ended == "exit":
        cause = ("Your code called os._exit()" if outcome.where is not None
                 else "Your code probably called os._exit() or something like it")
        return (f"The test process ended while running {name}: {outcome.detail}. {cause}; a test that does "
                "not run to the end never counts as passed.")
    if outcome.ended == "stopped":
        return f"{name} was not run: {outcome.detail}."
    return f"{name} did not report a result."
