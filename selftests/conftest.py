"""Shared tools for the kata's own test suite: run the grader as a learner would, and
make graded folders from the reference solutions with one function changed."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kata.catalogue.course import course  # noqa: E402
from kata.catalogue.stubs import pristine_stub  # noqa: E402


@dataclass
class GraderRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_grader(*args: str, cwd: Path = ROOT, timeout: float = 300, env: dict | None = None,
               input: str | None = None, kata: Path = ROOT) -> GraderRun:
    """`python grader.py ARGS` (of the kata at `kata`) in a subprocess, as a learner runs it."""
    started = time.monotonic()
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("FORCE_COLOR", None)
    if "PYTHONUNBUFFERED" not in (env or {}):
        full_env.pop("PYTHONUNBUFFERED", None)  # a learner's print() is buffered, unless they chose otherwise
    proc = subprocess.run(
        [sys.executable, str(kata / "grader.py"), *args], cwd=cwd, env=full_env,
        capture_output=True, text=True, timeout=timeout, input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    return GraderRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def replace_function(folder: Path, name: str, new_source: str) -> Path:
    """Replace the function or class `name` in its exercise file inside `folder` (laid out like
    exercises/, or one chapter's folder) by `new_source`."""
    ex = course().named(name)
    path = folder / ex.path if (folder / ex.folder).is_dir() else folder / ex.file
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    func = next(n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    lines = source.splitlines()
    start = (func.decorator_list[0].lineno if func.decorator_list else func.lineno) - 1
    new = lines[:start] + new_source.strip("\n").splitlines() + lines[func.end_lineno:]
    path.write_text("\n".join(new) + "\n", encoding="utf-8")
    return path


def copy_solutions(dest: Path) -> Path:
    shutil.copytree(ROOT / "solutions", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def write_stubs(dest: Path) -> Path:
    """A folder laid out like exercises/ with every untouched stub, made from the solutions (the
    kata's own exercises/ may hold a learner's work)."""
    for ex in course().exercises:
        (dest / ex.folder).mkdir(parents=True, exist_ok=True)
        (dest / ex.path).write_text(pristine_stub(ex), encoding="utf-8")
    return dest


def copy_kata(dest: Path) -> Path:
    """A working copy of the kata (grader, tests, solutions, untouched exercises), to change or write in."""
    dest.mkdir(parents=True)
    for name in ("grader.py", "pyproject.toml"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("kata", "tests", "solutions"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    write_stubs(dest / "exercises")
    shutil.copy2(ROOT / "exercises" / "__init__.py", dest / "exercises" / "__init__.py")
    return dest


# The suite runs its files two at a time (-n 2 --dist loadfile), each file going to whichever
# worker is free: the longest go first, so that none starts last while the other worker has
# nothing left to do. The others follow in their usual order.
LONGEST_FIRST = ("test_notebooks.py", "test_course.py", "test_hostile.py", "test_audit.py", "test_mistakes.py",
                 "test_cli.py", "test_class.py", "test_report.py")


def pytest_collection_modifyitems(items: list) -> None:
    rank = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a file's tests keep their order


def pytest_addoption(parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="write the golden reports of test_golden.py anew instead of comparing with them")


@pytest.fixture
def solved(tmp_path: Path) -> Path:
    """A fresh copy of the reference solutions, to change one thing in."""
    return copy_solutions(tmp_path / "submission")


@pytest.fixture(scope="session")
def graded_references(tmp_path_factory) -> dict:
    """`check` of solutions/ and of the untouched stubs, run once for the session. Only
    test_references.py reads it: each worker that runs a file asking for it grades anew."""
    out = tmp_path_factory.mktemp("references")
    stubs = write_stubs(out / "exercises")
    results = {}
    for name, folder in (("solutions", ROOT / "solutions"), ("exercises", stubs)):
        path = out / f"{name}.json"
        run = run_grader("check", "--target", str(folder), "--json", str(path))
        results[name] = {"run": run, "json": json.loads(path.read_text())}
    return results
