"""Every known wrong implementation in mistakes*.toml fails its exercise, with a message that
names the mistake (and, where the tests name it, the mistake's id), and leaves every exercise
that does not use it passing.

Each mistake is a copy of its chapter's reference solutions with one function replaced,
graded on that function's exercise. That the others still pass needs no mistake to show: each
exercise runs in a process of its own and reads only the files it uses, so it passes with
every other file of its chapter replaced by one that fails as soon as it is read. All of them
are graded in one warm session.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, course, replace_function

from kata.catalogue import depends
from kata.catalogue.course import Exercise

CATALOGUE = [m for path in sorted(Path(__file__).parent.glob("mistakes*.toml"))
             for m in tomllib.loads(path.read_text(encoding="utf-8"))["mistake"]]
FIELDS = {"function", "id", "what", "code", "expect"}
OPTIONAL = {"refuse", "named"}  # phrases no failing test's message may contain; the id the tests name
# What every file an exercise does not use holds in `poisoned`: reading it fails the exercise.
POISON = 'raise RuntimeError("exercise {reader} read {file}, a file it does not use")\n'

# Grades each folder on its exercises, in one warm session; prints {folder name: the grader's JSON}.
GRADE = """
import json, sys
from pathlib import Path
from kata.catalogue.course import course
from kata.feedback.json_report import run_json
from kata.grading.engine import in_session
from kata.grading.target import folder_target

groups = {}
for folder, ids in json.loads(sys.stdin.read()):
    groups.setdefault(tuple(ids), []).append(folder)

def work(grader):
    reports = {}
    for ids, folders in groups.items():
        runs = grader.grade([folder_target(Path(f)) for f in folders], [course().find(i) for i in ids])
        reports.update({Path(f).name: run_json(run) for f, run in zip(folders, runs)})
    return reports

# No mistake hangs: the limit guards against one that would, with room for a busy machine.
print(json.dumps(in_session(work, list(course().exercises), timeout=30)))
"""


def _folder_name(mistake: dict) -> str:
    return f"{mistake['function']}--{mistake['id']}"


def users_of(exercise_id: str) -> set[str]:
    """The exercise itself and every exercise built on it, directly or through others."""
    ex = course().find(exercise_id)
    needs = depends.needs(ROOT / "solutions" / ex.folder, course().chapter_of(ex))
    return {ex.id} | {other for other, deps in needs.items() if ex.id in deps}


@pytest.fixture(scope="module")
def reports(tmp_path_factory, request) -> dict[str, dict]:
    """Every selected mistake's folder graded on its exercise, and every `poisoned` folder of the
    selected exercises (all of them unless -k chose some); the JSON report of each, by folder name."""
    root = tmp_path_factory.mktemp("mistakes")
    chosen = {id(params.get("mistake", params.get("exercise"))) for item in request.session.items
              if (params := getattr(getattr(item, "callspec", None), "params", {}))}
    plan = []
    for mistake in (m for m in CATALOGUE if id(m) in chosen):
        ex = course().find(mistake["function"])
        folder = root / _folder_name(mistake)
        shutil.copytree(ROOT / "solutions" / ex.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
        replace_function(folder, mistake["function"], mistake["code"])
        plan.append((str(folder), [ex.id]))
    for ex in (e for e in course().exercises if id(e) in chosen):
        plan.append((str(poisoned(ex, root / f"poisoned-{ex.id}")), [ex.id]))
    run = subprocess.run([sys.executable, "-c", GRADE], input=json.dumps(plan), capture_output=True, text=True,
                         cwd=root, timeout=600, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.splitlines()[-1])


def poisoned(ex: Exercise, folder: Path) -> Path:
    """The references of `ex`'s chapter, in which every file that `ex` does not use fails when read."""
    chapter = course().chapter_of(ex)
    shutil.copytree(ROOT / "solutions" / ex.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    used = depends.needs(folder, chapter)[ex.id] | {ex.id}
    for other in chapter.exercises:
        if other.id not in used:
            (folder / other.file).write_text(POISON.format(reader=ex.id, file=other.file), encoding="utf-8")
    return folder


def test_catalogue_is_complete_and_well_formed():
    names = {ex.name for ex in course().exercises}
    for chapter in course().chapters:
        assert len([m for m in CATALOGUE if course().named(m["function"]).chapter == chapter.number]) >= 30
    for mistake in CATALOGUE:
        assert FIELDS <= set(mistake) <= FIELDS | OPTIONAL, mistake.get("id")
        exercise = course().find(mistake["function"]).id
        assert mistake.get("named", f"{exercise}/").startswith(f"{exercise}/"), mistake["id"]
        assert mistake["function"] in names, mistake["id"]
        assert mistake["expect"] and all(isinstance(p, str) and p for p in mistake["expect"]), mistake["id"]
        assert all(isinstance(p, str) and p for p in mistake.get("refuse", [])), mistake["id"]
        ast.parse(mistake["code"])
    assert {m["function"] for m in CATALOGUE} == names
    assert len({_folder_name(m) for m in CATALOGUE}) == len(CATALOGUE), "ids must be unique per function"


@pytest.mark.parametrize("mistake", CATALOGUE, ids=_folder_name)
def test_mistake_fails_its_exercise_with_its_message(reports, mistake):
    exercise = course().find(mistake["function"])
    graded = {e["id"]: e for e in reports[_folder_name(mistake)]["exercises"]}
    result = graded[exercise.id]
    assert result["status"] in ("fail", "error"), f"{mistake['what']}: graded {result['status']}"
    missing = [p for p in mistake["expect"] if p.lower() not in result["message"].lower()]
    assert not missing, f"{mistake['what']}: {missing} not in the message:\n{result['message']}"
    # Every failing test's message, not only the first, says only what its own evidence shows.
    later = "\n".join(t["message"] for t in result["tests"] if t["status"] != "pass" and t["message"])
    wrong = [p for p in mistake.get("refuse", []) if p.lower() in later.lower()]
    assert not wrong, f"{mistake['what']}: {wrong} in a failing test's message:\n{later}"
    named = (result["mistake"] or {}).get("id")
    assert named == mistake.get("named"), f"{mistake['what']}: the tests named {named}, not {mistake.get('named')}"
    if named is not None:
        words = result["mistake"]["words"]
        assert any(t["mistake"] == result["mistake"] and words in t["message"] for t in result["tests"])


@pytest.mark.parametrize("exercise", course().exercises, ids=lambda ex: f"{ex.id}-{ex.name}")
def test_an_exercise_passes_whatever_the_files_it_does_not_use_hold(reports, exercise):
    """So a mistake in one function leaves every exercise that does not use it passing."""
    graded = reports[f"poisoned-{exercise.id}"]["exercises"]
    assert [(e["id"], e["status"]) for e in graded] == [(exercise.id, "pass")], graded[0]["message"]


def test_users_come_from_the_relative_imports():
    assert users_of("train") == {"09"}
    assert "09" in users_of("sgd_step")
    assert "05" in users_of("tracked") and "09" in users_of("tracked")


def test_relative_imports_are_found_however_they_are_written(tmp_path):
    train, sgd_step = course().find("train"), course().find("sgd_step")
    copy = tmp_path / "target"
    shutil.copytree(ROOT / "solutions" / train.folder, copy)
    # A line continuation before the dot, and `from .` only inside a string elsewhere.
    (copy / train.file).write_text(
        f"from \\\n    .{sgd_step.stem} import sgd_step\n\ndef train(*args):\n    return sgd_step\n"
    )
    (copy / sgd_step.file).write_text('NOTE = "from . import nothing"\n\ndef sgd_step(params, lr):\n    pass\n')
    direct = depends.imports(copy, course().chapter_of(train))
    assert direct[train.id] == {sgd_step.id}
    assert direct[sgd_step.id] == set()
