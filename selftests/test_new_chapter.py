"""A chapter is content: added to a copy of the kata by files and metadata alone, every command
handles it, and not one line of the grader's code changes."""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import copy_kata, run_grader

SOLUTION_DOUBLE = '''"""Exercise 90: doubling a tensor.

Try your function:  python -m exercises.ch9_extra.ex90_double
"""

import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """Return 2 * x."""
    return 2 * x
'''

SOLUTION_QUADRUPLE = '''"""Exercise 91: doubling twice, with your double.

Try your function:  python -m exercises.ch9_extra.ex91_quadruple
"""

import torch

from .ex90_double import double


def quadruple(x: torch.Tensor) -> torch.Tensor:
    """Return 4 * x, by doubling twice."""
    return double(double(x))
'''

TEST = '''"""Exercise {id}: {name}(x) is {factor} * x."""

import torch
from support import call, close, expect, values


def test_{name}_of_a_few_numbers({name}):
    x = torch.tensor([1.0, -2.0, 0.5])
    got = values(call({name}, x, describe="{name}([1, -2, 0.5])"))
    expect(close(got, [{factor} * v for v in values(x)]), "{name}([1, -2, 0.5])", str(got), "{factor} times each")
'''

CHAPTER = '''
[[chapter]]
number = 9
folder = "ch9_extra"
title = "Chapter 9: multiplying"
finished = """You can multiply by two and by four."""

[[chapter.exercise]]
id = "90"
name = "double"
file = "ex90_double.py"
title = "Twice a tensor"
points = 1
concept = "A tensor times a number multiplies every element."
docs = ["torch.mul"]
hints = ["Multiply by 2.", "return 2 * x"]

[[chapter.exercise]]
id = "91"
name = "quadruple"
file = "ex91_quadruple.py"
title = "Twice twice"
points = 2
concept = "Functions compose."
docs = ["torch.mul"]
hints = ["Call double twice.", "return double(double(x))"]
'''


def _grader_code(kata: Path) -> dict[str, str]:
    return {p.relative_to(kata).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((kata / "kata").rglob("*.py")) if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def kata(tmp_path_factory) -> Path:
    """A copy of the kata with chapter 9 added: two solutions, two test modules, one metadata entry."""
    kata = copy_kata(tmp_path_factory.mktemp("extended") / "kata")
    shutil.copy2(Path(__file__).parent.parent / "README.md", kata / "README.md")
    before = _grader_code(kata)
    (kata / "solutions" / "ch9_extra").mkdir()
    (kata / "solutions" / "ch9_extra" / "ex90_double.py").write_text(SOLUTION_DOUBLE, encoding="utf-8")
    (kata / "solutions" / "ch9_extra" / "ex91_quadruple.py").write_text(SOLUTION_QUADRUPLE, encoding="utf-8")
    (kata / "tests" / "ch9_extra").mkdir()
    for id_, name, factor in (("90", "double", 2), ("91", "quadruple", 4)):
        test = TEST.format(id=id_, name=name, factor=factor)
        (kata / "tests" / "ch9_extra" / f"test_ex{id_}_{name}.py").write_text(test, encoding="utf-8")
    metadata = kata / "kata" / "catalogue" / "course.toml"
    metadata.write_text(metadata.read_text(encoding="utf-8") + CHAPTER, encoding="utf-8")
    readme = kata / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n| 90 | `double` | x |\n| 91 | `quadruple` | x |\n",
                      encoding="utf-8")
    updated = subprocess.run([sys.executable, "-m", "kata.dev", "update"], cwd=kata, capture_output=True, text=True)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (kata / "exercises" / "ch9_extra" / "ex91_quadruple.py").is_file()
    assert _grader_code(kata) == before, "adding a chapter changed the grader's code"
    return kata


def grader(kata: Path, *args: str, **kwargs):
    return run_grader(*args, kata=kata, cwd=kata, **kwargs)


def test_check_and_list_know_the_new_chapter(kata, tmp_path):
    out = tmp_path / "result.json"
    solved = grader(kata, "check", "--chapter", "9", "--target", "solutions", "--json", str(out))
    assert solved.returncode == 0 and solved.stderr == "", solved.stdout + solved.stderr
    assert "Chapter 9 complete" in solved.stdout and "You can multiply by two and by four." in solved.stdout
    assert [(e["id"], e["status"], e["chapter"]) for e in json.loads(out.read_text())["exercises"]] == [
        ("90", "pass", 9), ("91", "pass", 9)]
    fresh = grader(kata, "list")
    assert fresh.returncode == 0 and "Chapter 9: multiplying" in fresh.stdout and "91 quadruple" in fresh.stdout
    by_name = grader(kata, "check", "quadruple", "--target", "solutions")
    assert by_name.returncode == 0


def test_hint_and_reset_know_the_new_chapter(kata):
    hint = grader(kata, "hint", "90")
    assert hint.returncode == 0 and "Hint 1 of 2 for exercise 90 (double)" in hint.stdout
    path = kata / "exercises" / "ch9_extra" / "ex90_double.py"
    stub = path.read_text(encoding="utf-8")
    path.write_text(stub + "# mine\n", encoding="utf-8")
    reset = grader(kata, "reset", "double", "--yes")
    assert reset.returncode == 0 and path.read_text(encoding="utf-8") == stub


def test_watch_checks_the_new_chapter_again_on_a_save(kata):
    proc = subprocess.Popen([sys.executable, str(kata / "grader.py"), "watch", "--chapter", "9"], cwd=kata,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""

    def until(text: str) -> None:
        nonlocal out
        deadline = time.monotonic() + 120
        while text.encode() not in out:
            assert time.monotonic() < deadline, out.decode()
            if select.select([proc.stdout], [], [], 0.1)[0]:
                out += os.read(proc.stdout.fileno(), 1 << 16)

    try:
        until("Exercise 90, double")
        shutil.copy2(kata / "solutions" / "ch9_extra" / "ex90_double.py", kata / "exercises" / "ch9_extra")
        until("On to exercise 91")
        proc.stdin.write(b"q\n")
        proc.stdin.flush()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    shutil.copy2(kata / "solutions" / "ch9_extra" / "ex90_double.py", kata / "exercises" / "ch9_extra")
    assert grader(kata, "reset", "90", "--yes").returncode == 0


def test_notebooks_release_grade_and_gradescope_know_the_new_chapter(kata, tmp_path):
    made = grader(kata, "notebooks", "--chapter", "9", "--target", "solutions", "--out", str(tmp_path / "nb"))
    assert made.returncode == 0 and (tmp_path / "nb" / "ch9_extra" / "ex91_quadruple.ipynb").is_file()
    notebooks = grader(kata, "check", "--target", str(tmp_path / "nb"))
    assert notebooks.returncode == 0, notebooks.stdout

    release = grader(kata, "release", str(tmp_path / "release"), "--chapter", "9")
    assert release.returncode == 0 and release.stderr == ""
    assert sorted(p.name for p in (tmp_path / "release" / "exercises").iterdir() if p.is_dir()) == ["ch9_extra"]

    submission = shutil.copytree(kata / "solutions" / "ch9_extra", tmp_path / "alice")
    graded = grader(kata, "grade", str(submission), "--out", str(tmp_path / "graded"))
    assert graded.returncode == 0 and graded.stderr == ""
    assert (tmp_path / "graded" / "grades.csv").read_text().splitlines()[1].startswith("alice,alice,1,2,3,3")

    bundle = tmp_path / "autograder.zip"
    assert grader(kata, "gradescope", str(bundle), "--chapter", "9").returncode == 0
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
    assert "tests/ch9_extra/test_ex91_quadruple.py" in names
    assert not any(n.startswith("tests/ch1_autograd/") for n in names)
