"""Every known wrong implementation in mistakes.toml fails its exercise, with a message that
names the mistake, and leaves every exercise that does not use it passing.

All the mistakes are graded in one batch (`grader.py grade`), one folder each: a copy of
solutions/ with one function replaced.
"""

from __future__ import annotations

import ast
import json
import shutil
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, copy_solutions, course, replace_function, run_grader

from kata.catalogue import depends

CATALOGUE = [m for path in sorted(Path(__file__).parent.glob("mistakes*.toml"))
             for m in tomllib.loads(path.read_text(encoding="utf-8"))["mistake"]]
FIELDS = {"function", "id", "what", "code", "expect"}


def _folder_name(mistake: dict) -> str:
    return f"{mistake['function']}--{mistake['id']}"


def users_of(exercise_id: str) -> set[str]:
    """The exercise itself and every exercise built on it, directly or through others."""
    ex = course().find(exercise_id)
    return depends.users(ROOT / "solutions" / ex.folder, course().chapter_of(ex), ex.id)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Grade every mistake's folder in one batch; the JSON report of each, by folder name."""
    root = tmp_path_factory.mktemp("mistakes")
    folders = []
    for mistake in CATALOGUE:
        folder = copy_solutions(root / "submissions" / _folder_name(mistake))
        replace_function(folder, mistake["function"], mistake["code"])
        folders.append(folder)
    out = root / "graded"
    run = run_grader("grade", *[str(f) for f in folders], "--out", str(out))
    assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
    return {f.name: json.loads((out / f.name / "report.json").read_text(encoding="utf-8")) for f in folders}


def test_catalogue_is_complete_and_well_formed():
    names = {ex.name for ex in course().exercises}
    for chapter in course().chapters:
        assert len([m for m in CATALOGUE if course().named(m["function"]).chapter == chapter.number]) >= 30
    for mistake in CATALOGUE:
        assert set(mistake) == FIELDS, mistake.get("id")
        assert mistake["function"] in names, mistake["id"]
        assert mistake["expect"] and all(isinstance(p, str) and p for p in mistake["expect"]), mistake["id"]
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


@pytest.mark.parametrize("mistake", CATALOGUE, ids=_folder_name)
def test_mistake_leaves_unrelated_exercises_passing(reports, mistake):
    may_fail = users_of(course().find(mistake["function"]).id)
    graded = reports[_folder_name(mistake)]["exercises"]
    broken = {e["id"]: e["message"] for e in graded if e["id"] not in may_fail and e["status"] != "pass"}
    assert not broken, f"{mistake['what']}: exercises that do not use {mistake['function']} failed: {broken}"


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
