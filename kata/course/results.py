"""What grading a submission leaves behind: Gradescope's results.json, the learner's own
report (as text and as the grader's JSON), and a row of grades.csv."""

from __future__ import annotations

from pathlib import Path

from ..commands.common import write_json
from ..meta import Exercise
from ..report import LABELS, render
from ..style import Style
from ..verdict import ExerciseResult, RunResult, TestResult
from .hidden import is_hidden

HIDDEN_VISIBILITY = "after_published"
HIDDEN_FAILED = (
    "Every test you can see passes, but one of your instructor's tests did not. "
    "Its details are shown when the grades are published."
)


def csv_header(exercises: list[Exercise]) -> list[str]:
    return ["submission", *[e.id for e in exercises], "total", "max"]


def csv_row(name: str, run: RunResult) -> list[str]:
    return [name, *[f"{r.score:g}" for r in run.exercises], f"{run.score:g}", f"{run.max_score:g}"]


def _test_text(t: TestResult) -> str:
    text = f"{t.name}\n" + _indent(t.message or "(no message)")
    if t.output:
        cut = f"\n[... {t.output_cut} more bytes of output cut]" if t.output_cut else ""
        text += "\n" + _indent("Your code printed:\n" + _indent(t.output.rstrip()) + cut)
    return text


def _indent(text: str) -> str:
    return "\n".join("    " + line if line else line for line in text.splitlines())


def exercise_output(r: ExerciseResult, hidden: set[str]) -> str:
    """The learner's feedback on one exercise, without anything a hidden test said."""
    head = f"{LABELS[r.status].capitalize()}: {r.score:g} of {r.exercise.points:g} points."
    if r.passed:
        return f"{head} All {len(r.tests)} tests of this exercise pass."
    failing = [t for t in r.tests if t.status != "pass"]
    seen = [t for t in failing if not is_hidden(t.name, hidden)]
    origin = next((t for t in failing if t.message == r.message), None)
    if r.status != "fail" and (origin is None or origin in seen):
        # One cause for the whole exercise (not started, a file that does not load, a crash,
        # a time-out): say it once rather than once per test.
        parts = [head, r.message]
    elif seen:
        parts = [head, *[_test_text(t) for t in seen]]
        if len(seen) < len(failing):
            parts.append("One of your instructor's tests did not pass either; its details are "
                         "shown when the grades are published.")
    else:
        parts = [head, HIDDEN_FAILED]
    return "\n\n".join(parts)


def gradescope_results(run: RunResult, hidden: dict[str, set[str]], notes: list[str]) -> dict:
    """Gradescope's results.json: one test per exercise worth its points, and each hidden
    test on its own, worth nothing, shown to students once the grades are published."""
    tests = []
    for r in run.exercises:
        ex = r.exercise
        names = hidden.get(ex.test_file, set())
        tests.append({
            "name": f"{ex.id} {ex.name}: {ex.title}",
            "number": ex.id,
            "score": r.score,
            "max_score": ex.points,
            "status": "passed" if r.passed else "failed",
            "output": exercise_output(r, names),
            "visibility": "visible",
        })
        for t in r.tests:
            if is_hidden(t.name, names):
                tests.append({
                    "name": f"{ex.id} {ex.name}: {t.name}",
                    "score": 0.0,
                    "max_score": 0.0,
                    "status": "passed" if t.status == "pass" else "failed",
                    "output": "Passed." if t.status == "pass" else _test_text(t),
                    "visibility": HIDDEN_VISIBILITY,
                })
    done = sum(r.passed for r in run.exercises)
    summary = (f"{done} of {len(run.exercises)} exercises pass: "
               f"{run.score:g} of {run.max_score:g} points.")
    return {
        "score": run.score,
        "execution_time": round(run.seconds, 3),
        "output": "\n\n".join([summary, *notes]),
        "tests": tests,
    }


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


def write_submission(folder: Path, name: str, run: RunResult, hidden: dict[str, set[str]],
                     notes: list[str], replacements: dict[str, str]) -> None:
    """results.json (Gradescope), report.json (the grader's JSON) and report.txt (the learner's report)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "results.json", scrub(gradescope_results(run, hidden, notes), replacements))
    report = run.to_json()
    report["notes"] = notes
    write_json(folder / "report.json", scrub(report, replacements))
    with open(folder / "report.txt", "w", encoding="utf-8") as f:
        text = render(run, target_name=name, style=Style(f, color=False), verbose=True)
        if notes:
            text = "\n".join(notes) + "\n\n" + text
        f.write(scrub(text, replacements))
