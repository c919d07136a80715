"""The grader's JSON: a run's result as `check --json` writes it (version 1, see SPEC)."""

from __future__ import annotations

from dataclasses import asdict

from ..catalogue.course import course
from ..grading.results import ExerciseResult, RunResult, TestResult
from .render import message
from .report import changed_note


def _location(loc) -> dict | None:
    return asdict(loc) if loc is not None else None


def test_json(t: TestResult) -> dict:
    data = {"name": t.name, "status": str(t.status), "message": t.message, "location": _location(t.location),
            "output": t.output, "output_cut": t.output_cut}
    if t.output_cut:
        data["output"] += f"\n[... {t.output_cut} more bytes of output cut]"
    if t.properties:
        data["properties"] = t.properties
    return data


def exercise_json(r: ExerciseResult) -> dict:
    ex = r.exercise
    return {
        "id": ex.id, "name": ex.name, "chapter": ex.chapter, "title": ex.title, "file": r.file,
        "status": str(r.status), "score": r.score, "max_score": ex.points,
        "message": message(r), "location": _location(r.location),
        "waiting_for": [e.id for e in r.waiting_for], "seconds": round(r.seconds, 3),
        "cpu_seconds": r.cpu_seconds, "tests": [test_json(t) for t in r.tests],
    }


def run_json(run: RunResult) -> dict:
    chapters = []
    for number, results in run.chapters():
        chapter = course().chapter(number)
        chapters.append({
            "number": number, "title": chapter.title, "folder": chapter.folder,
            "score": sum(r.score for r in results), "max_score": sum(r.exercise.points for r in results),
            "passed": sum(r.passed for r in results), "exercises": len(results),
        })
    return {
        "version": 1,
        "status": "pass" if run.passed else "fail",
        "score": run.score,
        "max_score": run.max_score,
        "target": run.target,
        "changed_files": list(run.changed_files),
        "changed_files_note": changed_note(run),
        "seconds": round(run.seconds, 3),
        "chapters": chapters,
        "exercises": [exercise_json(r) for r in run.exercises],
    }
