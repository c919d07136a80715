"""From what an exercise's process reported to a verdict: status, score and message.

A test counts as passed only when its own report says so. Tests without a report (the
process hung, crashed or exited first) count as not passed, whatever the exit status.
"""

from __future__ import annotations

from dataclasses import replace

from ..catalogue.course import Exercise
from ..outcomes import Ended, Kind, Status, TestRecord, TestStatus
from .audit import Finding
from .results import Credit, ExerciseResult, TestResult
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
        last = (collection_error.strip().splitlines() or [""])[-1].removeprefix("E").strip()  # pytest's "E   "
        message = (f"The tests for exercise {ex.id} could not be loaded, so it cannot be graded. "
                   f"This is a problem with the kata's tests, not your code: {last}")
        return ExerciseResult(ex, Status.ERROR, 0.0, message, (), file)
    # After a report it cannot read, the grader believes none of the process's reports.
    by_name = {} if outcome.ended == Ended.UNREADABLE else {r.name: r for r in outcome.records}
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
    elif outcome.ended in (Ended.CRASH, Ended.EXIT) and outcome.running is None and not outcome.records:
        status, message = Status.ERROR, BEFORE_FIRST_TEST.format(ex.id, outcome.detail)
    elif outcome.ended in (Ended.TIMEOUT, Ended.CRASH, Ended.EXIT, Ended.UNREADABLE):
        status = Status.TIMEOUT if outcome.ended == Ended.TIMEOUT else Status.ERROR
        message = _missing_message(outcome.running or failing[0].name, outcome)
        where = target.place(ex, outcome.where)
    elif kind == Kind.NOT_STARTED and not any(t.status == TestStatus.PASS for t in tests):
        status, message = Status.NOT_STARTED, failing[0].message
    elif kind == Kind.GRAVE:
        status, message = Status.ERROR, failing[0].message
    else:
        status, message = Status.FAIL, failing[0].message
    credit = credit_of(ex, status, tests)
    score = ex.points if status == Status.PASS else sum((c.score for c in credit), 0.0)
    return ExerciseResult(ex, status, score, message, tests, file, where, outcome.seconds, outcome.cpu,
                          credit=credit)


def credit_of(ex: Exercise, status: Status, tests: tuple[TestResult, ...]) -> tuple[Credit, ...]:
    """Each pointed test's points, where the course gives the exercise's points to its tests. A failed
    or timed-out exercise keeps the points of the tests that passed; one whose process went wrong in
    another way (a refused shortcut, an early exit) or that was never started earns none."""
    earns = status in (Status.PASS, Status.FAIL, Status.TIMEOUT)
    cases: dict[str, list[bool]] = {}
    for t in tests:
        cases.setdefault(t.name.split("[")[0], []).append(t.status == TestStatus.PASS)
    return tuple(Credit(name, points if earns and all(cases.get(name, [False])) else 0.0, points)
                 for name, points in ex.test_points)

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
    text = ending(outcome, name)
    if outcome.ended == Ended.EXIT:
        text += " A test that does not run to the end never counts as passed."
    return text


def ending(outcome: Outcome, subject: str) -> str:
    """Why `subject` (a test, or a notebook's cell) has no result, from how its process ended;
    the one wording of every ending, for the reports and for the notebooks."""
    if outcome.ended == Ended.TIMEOUT:
        return f"{subject} did not finish: {outcome.detail}. {STUCK}"
    if outcome.ended == Ended.CRASH:
        return f"Python itself crashed while running {subject}: {outcome.detail}."
    if outcome.ended == Ended.EXIT:
        cause = ("Your code called os._exit()" if outcome.where is not None
                 else "Your code probably called os._exit() or something like it")
        return f"The process ended while running {subject}: {outcome.detail}. {cause}."
    if outcome.ended == Ended.UNREADABLE:
        return (f"The grader stopped the process while running {subject}: it reported something the grader "
                f"cannot read ({outcome.detail}). Only the grader's own code may write to its channel.")
    if outcome.ended == Ended.STOPPED:
        return f"{subject} was not run: {outcome.detail}."
    return f"{subject} did not report a result."
