"""The grader's JSON: a run's result as `check --json` writes it (version 1, see SPEC)."""

from __future__ import annotations

from dataclasses import asdict

from ..grading.results import ExerciseResult, RunResult, TestResult
from .render import message
from .report import changed_note


def test_json(t: TestResult) -> dict:
    cut = f"\n[... {t.output_cut} more bytes of output cut]" if t.output_cut else ""
    data = {"name": t.name, "status": str(t.status), "message": t.message,
            "location": asdict(t.location) if t.location else None, "output": t.output + cut,
            "output_cut": t.output_cut}
    mistakes = [asdict(m) for m in t.mistakes]
    data["mistake"] = mistakes[0] if mistakes else None
    data["mistakes"] = mistakes
    properties = {k: v for k, v in (t.properties or {}).items() if k != "mistakes"}
    if properties:
        data["properties"] = properties
    return data


def exercise_json(r: ExerciseResult) -> dict:
    ex = r.exercise
    return {
        "id": ex.id, "name": ex.name, "chapter": ex.chapter, "title": ex.title, "file": r.file,
        "status": str(r.status), "score": r.score, "max_score": ex.points,
        "message": message(r), "location": asdict(r.location) if r.location else None,
        "waiting_for": [e.id for e in r.waiting_for], "seconds": round(r.seconds, 3),
        "cpu_seconds": r.cpu_seconds, "mistake": asdict(r.mistakes[0]) if r.mistakes else None,
        "credit": [asdict(c) for c in r.credit], "tests": [test_json(t) for t in r.tests],
    }


def run_json(run: RunResult) -> dict:
    chapters = [{"number": chapter.number, "title": chapter.title, "folder": chapter.folder,
                 "score": sum(r.score for r in results), "max_score": sum(r.exercise.points for r in results),
                 "passed": sum(r.passed for r in results), "exercises": len(results)}
                for chapter, results in run.chapters()]
    return {
        "version": 1, "status": "pass" if run.passed else "fail", "score": run.score, "max_score": run.max_score,
        "target": run.target, "changed_files": list(run.changed_files), "changed_files_note": changed_note(run),
        "seconds": round(run.seconds, 3), "chapters": chapters, "exercises": [exercise_json(r) for r in run.exercises],
    }
