"""What grading a submission leaves behind: Gradescope's results.json, the learner's own
report (as text and as the grader's JSON), and a row of grades.csv."""

from __future__ import annotations

import io
from pathlib import Path

from ..catalogue.course import Exercise
from ..feedback.json_report import run_json
from ..feedback.render import LABELS, Voice, explain, points, where
from ..feedback.report import render
from ..feedback.style import Style
from ..files import write_atomically, write_csv, write_json
from ..grading.results import ExerciseResult, RunResult, TestResult
from ..outcomes import Status, TestStatus
from .hidden import is_hidden

HIDDEN_FAILED = ("Every test you can see passes, but one of your instructor's tests did not. "
                 "Its details are shown when the grades are published.")
PLAIN = Style(io.StringIO(), color=False)


def _test_text(t: TestResult) -> str:
    lines = [t.name, *("    " + line for line in (t.message or "(no message)").splitlines())]
    if t.location is not None:
        lines.append(f"    at {where(t.location)}")
    if t.output:
        cut = f"\n[... {t.output_cut} more bytes of output cut]" if t.output_cut else ""
        lines += ["    Your code printed:", *("      " + line for line in (t.output.rstrip() + cut).splitlines())]
    return "\n".join(lines)


def exercise_output(r: ExerciseResult, hidden: set[str]) -> str:
    """The learner's feedback on one exercise, without anything a hidden test said."""
    head = f"{LABELS[r.status].capitalize()}: {points(r.score)} of {points(r.exercise.points)} points."
    if r.passed:
        return f"{head} All {len(r.tests)} tests of this exercise pass."
    failing = r.failing
    seen = [t for t in failing if not (t.hidden or is_hidden(t.name, hidden))]
    origin = next((t for t in failing if t.message == r.message), None)
    if origin is None or r.status != Status.FAIL and origin in seen:
        # One cause for the whole exercise (not started, a file that does not load, a crash,
        # a time-out): say it once rather than once per test.
        parts = [head, "\n".join(line.strip() if i == 0 else line
                                 for i, line in enumerate(explain(r, Voice(), PLAIN)))]
    elif seen:
        parts = [head, *[_test_text(t) for t in seen]]
        if len(seen) < len(failing):
            parts.append("One of your instructor's tests did not pass either; its details are "
                         "shown when the grades are published.")
    else:  # a hidden check says which mistake it looks for, never its inputs or expected values
        parts = [head, HIDDEN_FAILED, *dict.fromkeys(t.message for t in failing if t.hidden)]
    return "\n\n".join(parts)


def gradescope_results(run: RunResult, hidden: dict[str, set[str]], notes: list[str], seconds: float) -> dict:
    """Gradescope's results.json: one test per exercise worth its points, and each hidden test on
    its own, worth nothing, shown once the grades are published; `seconds` is the whole grading.
    Every text is plain text: Gradescope renders HTML unless told otherwise, and a submission's
    file names are the student's choice."""
    tests = []
    for r in run.exercises:
        ex = r.exercise
        names = hidden.get(ex.test_path, set())
        if ex.partial:
            tests += _credit_tests(r, names)
        else:
            tests.append(_test(f"{ex.id} {ex.name}: {ex.title}", ex.id, r.score, ex.points, r.passed,
                               exercise_output(r, names)))
        pointed = {c.test for c in r.credit}  # a hidden test with points has its entry already
        hidden_tests = (t for t in r.tests if (t.hidden or is_hidden(t.name, names))
                        and t.name.split("[")[0] not in pointed)
        for n, t in enumerate(hidden_tests, len(r.credit) + 1):
            passed = t.status == TestStatus.PASS
            tests.append(_test(f"{ex.id} {ex.name}: {t.name}", f"{ex.id}.{n}", 0.0, 0.0, passed,
                               "Passed." if passed else _test_text(t), visibility="after_published"))
    done = sum(r.passed for r in run.exercises)
    summary = f"{done} of {len(run.exercises)} exercises pass: {points(run.score)} of {points(run.max_score)} points."
    return {"score": run.score, "execution_time": round(seconds), "output": "\n\n".join([summary, *notes]),
            "output_format": "text", "tests": tests}


def _credit_tests(r: ExerciseResult, hidden: set[str]) -> list[dict]:
    """An exercise whose points go to its tests: one entry per pointed test, with its own score. The
    exercise's feedback goes with its first entry; a hidden test's entry is shown once published."""
    ex, entries = r.exercise, []
    for n, c in enumerate(r.credit, 1):
        own = [t for t in r.tests if t.name.split("[")[0] == c.test and t.status != TestStatus.PASS]
        passed = c.score == c.max_score
        output = (exercise_output(r, hidden) if n == 1 and not is_hidden(c.test, hidden)
                  else "Passed." if passed else "\n\n".join(map(_test_text, own)) or "Not passed.")
        entries.append(_test(f"{ex.id} {ex.name}: {c.test}", f"{ex.id}.{n}", c.score, c.max_score, passed, output,
                             visibility="after_published" if is_hidden(c.test, hidden) else "visible"))
    return entries


def _test(name: str, number: str, score: float, max_score: float, passed: bool, output: str,
          visibility: str = "visible") -> dict:
    return {"name": name, "name_format": "text", "number": number, "score": score, "max_score": max_score,
            "status": "passed" if passed else "failed", "output": output, "output_format": "text",
            "visibility": visibility}


def scrub(data, replacements: dict[str, str]):
    """`data` (JSON-like) with every occurrence of each key replaced: no scratch paths in reports."""
    if isinstance(data, str):
        for old, new in replacements.items():
            data = data.replace(old, new)
        return data
    if isinstance(data, list):
        return [scrub(x, replacements) for x in data]
    if isinstance(data, dict):
        return {k: scrub(v, replacements) for k, v in data.items()}
    return data


def write_submission(folder: Path, run: RunResult, hidden: dict[str, set[str]], notes: list[str],
                     replacements: dict[str, str], seconds: float) -> None:
    """results.json (Gradescope), report.json (the grader's JSON) and report.txt (the learner's report)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "results.json", scrub(gradescope_results(run, hidden, notes, seconds), replacements))
    write_json(folder / "report.json", scrub({**run_json(run), "notes": notes}, replacements))
    text = render(run, PLAIN, verbose=True)
    if notes:
        text = "\n".join(notes) + "\n\n" + text
    write_atomically(folder / "report.txt", scrub(text, replacements))


def write_grades(path: Path, exercises: list[Exercise], done: list) -> None:
    """grades.csv: a row per submission (its id, which names its folder, and its own name), with its
    points (see write_csv)."""
    # `ex04`, which a spreadsheet keeps as it is (`04` would become 4).
    rows: list[list[object]] = [["id", "name", *[f"ex{e.id}" for e in exercises], "total", "max"]]
    for sub, run in done:
        scores = {r.exercise.id: r.score for r in run.exercises}
        rows.append([sub.id, sub.name, *[points(scores.get(e.id, 0.0)) for e in exercises],
                     points(run.score), points(run.max_score)])
    write_csv(path, rows)
