"""The notebooks: made from the exercise files, valid, self-checking in a real Jupyter
kernel, gradable as files and folders, and never overwritten once a learner edits them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import v4

from conftest import ROOT, course, run_grader, write_stubs

from kata.catalogue.stubs import stubify
from kata.feedback.report import render
from kata.feedback.style import Style
from kata.grading.results import ExerciseResult, RunResult, TestResult
from kata.grading.target import Target
from kata.notebooks import build, convert
from kata.outcomes import Location, Status, TestStatus

CHAPTER = course().chapters[0]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
KERNELS_AT_ONCE = 3
CELL_SECONDS = 240  # the first check waits for torch and the tests to load, on a busy machine


@pytest.fixture(scope="session")
def made(tmp_path_factory) -> dict[str, Path]:
    """`python grader.py notebooks` from solutions and from the untouched stubs: chapter 1's folder of each."""
    out = tmp_path_factory.mktemp("notebooks")
    stubs = write_stubs(out / "stubs")
    folders = {}
    for name, source in (("solutions", ROOT / "solutions"), ("exercises", stubs)):
        run = run_grader("notebooks", "--target", str(source), "--out", str(out / name))
        assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
        assert sorted(p.name for p in (out / name).iterdir()) == [c.folder for c in course().chapters]
        folders[name] = out / name / CHAPTER.folder
    return folders


def roles(nb: dict, role: str) -> list[dict]:
    return [c for c in nb["cells"] if c["metadata"].get("kata", {}).get("role") == role]


def printed(cell: dict) -> str:
    return ANSI.sub("", "".join(o.get("text", "") for o in cell["outputs"] if o["output_type"] == "stream"))


# --- made from the exercise files ----------------------------------------------------


def test_one_valid_notebook_per_exercise_with_marked_cells(made):
    for folder in made.values():
        assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(f"{e.stem}.ipynb" for e in CHAPTER.exercises)
        for ex in CHAPTER.exercises:
            nb = nbformat.read(folder / f"{ex.stem}.ipynb", as_version=4)
            nbformat.validate(nb)
            assert nb.metadata["kata"]["exercise"] == ex.id
            assert nb.metadata["kata"]["fingerprint"] == build.fingerprint(nb)
            for role in ("setup", "answer", "check"):
                [cell] = roles(nb, role)
                assert cell["metadata"]["kata"] == {"exercise": ex.id, "role": role}
            assert roles(nb, "check")[0]["source"] == f'kata.check("{ex.id}")'


def test_the_lesson_and_the_code_come_from_the_exercise_file(made):
    for name, folder in made.items():
        for ex in CHAPTER.exercises:
            source = (ROOT / "solutions" / ex.path).read_text(encoding="utf-8")
            source = source if name == "solutions" else stubify(source, ex)
            nb = nbformat.read(folder / f"{ex.stem}.ipynb", as_version=4)
            lesson = roles(nb, "lesson")[0]["source"]
            docstring = source.split('"""')[1]
            second_paragraph = docstring.split("\n\n")[1]
            assert second_paragraph in lesson
            assert ex.concept in lesson
            assert "python grader.py" not in lesson  # terminal advice is replaced by the check cell
            answer = roles(nb, "answer")[0]["source"]
            assert answer in source and f"def {ex.name}(" in answer and "__package__" not in answer
            assert ("raise NotImplementedError" in answer) == (name == "exercises")


def test_later_exercises_load_the_earlier_functions_from_their_notebooks(made):
    nb = nbformat.read(made["exercises"] / "ex09_train.ipynb", as_version=4)
    setup = roles(nb, "setup")[0]["source"]
    assert ('mse_loss, init_params, predict, sgd_step, zero_grad = kata.earlier('
            '"mse_loss", "init_params", "predict", "sgd_step", "zero_grad")') in setup
    assert "from your notebooks for those exercises" in roles(nb, "how")[0]["source"]


# --- in a real kernel ----------------------------------------------------------------


@dataclass
class Executed:
    nb: dict
    alive: bool


async def _execute(path: Path, scratch: Path, extra: tuple[str, ...] = ()) -> Executed:
    """Run every cell of the notebook in its own kernel, then the `extra` cells; stop at any error.
    The kernel is killed at the end, so its temporary files go to `scratch`."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_SECONDS, kernel_name="python3", shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(path.parent)}})
    async with client.async_setup_kernel(env=dict(os.environ, TMPDIR=str(scratch))):
        for source in extra:
            nb.cells.append(v4.new_code_cell(source))
        for index, cell in enumerate(nb.cells):
            await client.async_execute_cell(cell, index)
        alive = await client.km.is_alive()
    return Executed(nb, alive)


# Run after the unsolved training notebook, in its kernel: a mistake, then a missing notebook.
AFTERWARDS = (
    "def train(x, y, lr=0.01, epochs=100):\n    losses = []\n    return undefined_name\n",
    'kata.check("09")',
    'import os\nos.remove("ex05_init_params.ipynb")\ninit_params = kata.earlier("init_params")',
    'kata.check("09")',
)


@pytest.fixture(scope="session")
def executed(made, tmp_path_factory) -> dict[str, Executed]:
    """Every solved notebook, and the unsolved training notebook (then AFTERWARDS in the same
    kernel), each in its own kernel, a few at once."""
    jobs = {f"solved {p.name}": (p, ()) for p in sorted(made["solutions"].glob("*.ipynb"))}
    unsolved = shutil.copytree(made["exercises"], tmp_path_factory.mktemp("unsolved") / "notebooks")
    jobs["unsolved ex09_train.ipynb"] = (unsolved / "ex09_train.ipynb", AFTERWARDS)
    scratch = tmp_path_factory.mktemp("kernel-tmp")

    async def run_all() -> dict[str, Executed]:
        gate = asyncio.Semaphore(KERNELS_AT_ONCE)

        async def one(path: Path, extra: tuple[str, ...]) -> Executed:
            async with gate:
                return await _execute(path, scratch, extra)

        results = await asyncio.gather(*(one(*job) for job in jobs.values()))
        return dict(zip(jobs, results))

    return asyncio.run(run_all())


def test_every_solved_notebook_runs_without_error_and_passes_its_check(executed):
    for ex in CHAPTER.exercises:
        run = executed[f"solved {ex.stem}.ipynb"]
        for cell in run.nb.cells:
            if cell.cell_type == "code":
                assert all(o["output_type"] != "error" for o in cell["outputs"]), (ex.id, cell.source)
        report = printed(roles(run.nb, "check")[0])
        assert f"Exercise {ex.id} ({ex.name}): passed" in report, report


def test_the_training_notebook_plots_the_loss_and_the_line(executed):
    plot = roles(executed["solved ex09_train.ipynb"].nb, "plot")[0]
    assert any("image/png" in o.get("data", {}) for o in plot["outputs"]), plot["outputs"]


def test_an_unsolved_notebook_reports_not_started_and_its_kernel_lives_on(executed):
    run = executed["unsolved ex09_train.ipynb"]
    report = printed(roles(run.nb, "check")[0])
    assert "Exercise 09 (train): not started" in report, report
    assert "Write your code in the cell under Your code" in report
    assert "Exercise 09 (train) is not done yet" in printed(roles(run.nb, "try")[0])
    wrong, missing, unchecked = (printed(c) for c in run.nb.cells[-3:])
    assert "NameError" in wrong and "your code cell, line 3" in wrong, wrong
    assert "Traceback" not in wrong
    assert "There is no notebook for exercise 05 (init_params)" in missing, missing
    assert "Exercise 09 could not be checked: train uses init_params from exercise 05" in unchecked
    assert run.alive


def test_the_plot_cell_without_matplotlib_says_how_to_get_it(made, monkeypatch, capsys):
    nb = nbformat.read(made["solutions"] / "ex09_train.ipynb", as_version=4)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    fake_torch = types.SimpleNamespace(tensor=list)
    exec(roles(nb, "plot")[0]["source"], {"torch": fake_torch, "train": lambda x, y: (None, None, [1.0])})
    assert 'python -m pip install -e ".[plot]"' in capsys.readouterr().out


# --- grading notebook files and folders ----------------------------------------------


@pytest.fixture(scope="session")
def graded(made, tmp_path_factory) -> dict[str, tuple[object, dict]]:
    """`check --target` on notebook folders and a notebook file, run side by side:
    (the run, its JSON) for the solved folder, the unsolved folder, a solved folder with a
    broken and a missing notebook, and the solved training notebook alone."""
    tmp = tmp_path_factory.mktemp("graded")
    broken = shutil.copytree(made["solutions"], tmp / "submission")
    (broken / "ex03_gradients.ipynb").write_text('{"cells": [', encoding="utf-8")
    (broken / "ex05_init_params.ipynb").unlink()
    targets = {"solved": made["solutions"], "unsolved": made["exercises"], "broken": broken,
               "one": made["solutions"] / "ex09_train.ipynb"}

    def grade(name: str) -> tuple[object, dict]:
        out = tmp / f"{name}.json"
        run = run_grader("check", "--target", str(targets[name]), "--json", str(out))
        assert not run.stderr, run.stderr
        return run, json.loads(out.read_text())

    with ThreadPoolExecutor(len(targets)) as pool:
        return dict(zip(targets, pool.map(grade, targets)))


def test_a_folder_of_solved_notebooks_gets_full_marks(graded):
    run, result = graded["solved"]
    assert run.returncode == 0, run.stdout
    assert result["score"] == result["max_score"] == CHAPTER.max_score
    assert [e["file"] for e in result["exercises"]] == [f"{e.stem}.ipynb" for e in CHAPTER.exercises]
    # the training exercise's line in the report carries the learner's loss curve and the expected one
    assert re.search(r"09 train .*\n +loss, yours: +\S{40}\n +loss, expected: +\S{40}", run.stdout), run.stdout


def test_a_folder_of_unsolved_notebooks_gets_nothing(graded):
    run, result = graded["unsolved"]
    assert run.returncode == 1
    assert result["score"] == 0
    assert {e["status"] for e in result["exercises"]} == {"not_started"}
    assert "ex01_tracked.ipynb" in run.stdout


def test_broken_and_missing_notebooks_are_named_and_the_others_graded(graded):
    run, result = graded["broken"]
    assert run.returncode == 1
    by_id = {e["id"]: e for e in result["exercises"]}
    assert by_id["03"]["status"] == "error"
    assert "ex03_gradients.ipynb could not be graded: it is not valid JSON" in by_id["03"]["message"]
    assert by_id["05"]["status"] == "error"
    assert "There is no notebook for exercise 05 (init_params)" in by_id["05"]["message"]
    assert "train uses your init_params (exercise 05)" in by_id["09"]["message"]
    assert {i for i, e in by_id.items() if e["status"] == "pass"} == {"01", "02", "04", "06", "07", "08"}


def test_one_notebook_is_graded_with_the_earlier_ones_beside_it(graded):
    run, result = graded["one"]
    assert run.returncode == 0, run.stdout
    assert [(e["id"], e["status"], e["file"]) for e in result["exercises"]] == [("09", "pass", "ex09_train.ipynb")]


def test_a_notebook_without_marked_cells_is_a_clear_usage_error(tmp_path):
    path = tmp_path / "notes.ipynb"
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("1 + 1")]), path)
    run = run_grader("check", "--target", str(path))
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "notes.ipynb" in run.stderr and "no cells marked" in run.stderr


def test_conversion_reports_each_unusable_notebook_in_plain_words(made, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    shutil.copy(made["solutions"] / "ex04_mse_loss.ipynb", source)
    shutil.copy(made["exercises"] / "ex04_mse_loss.ipynb", source / "ex04_mse_loss (copy).ipynb")
    (source / "ex01_tracked.ipynb").write_text("not json", encoding="utf-8")
    (source / "ex02_sum_of_squares.ipynb").write_bytes(b"\xff\xfe\x00")
    (source / "ex06_predict.ipynb").write_text("[1, 2]", encoding="utf-8")
    (source / "empty.ipynb").write_text("", encoding="utf-8")
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("x = 1")]), source / "scratch.ipynb")
    _, problems = convert.notebooks_to_folder(source, tmp_path / "out")
    assert problems == {
        "ex01_tracked.ipynb": "it is not valid JSON (line 1, column 1), so it is not a notebook Jupyter saved",
        "ex02_sum_of_squares.ipynb": "it is not UTF-8 text, so it is not a notebook Jupyter saved",
        "ex06_predict.ipynb": "it is JSON but not a Jupyter notebook (it has no list of cells)",
        "empty.ipynb": "it is empty",
        "scratch.ipynb": "it has no cells marked as answers (the cell metadata that "
                         "`python grader.py notebooks` writes is missing)",
        "ex04_mse_loss (copy).ipynb": "exercise 04 is also in ex04_mse_loss.ipynb, which is graded instead",
    }
    written = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py"))
    assert written == [course().find("04").path]
    text = (tmp_path / "out" / course().find("04").path).read_text(encoding="utf-8")
    assert text.startswith("import torch\n") and "return ((y_pred - y) ** 2).mean()" in text


def test_messages_name_the_notebook_and_the_cell_not_the_scratch_file(tmp_path):
    ex = course().find("4")
    origin = convert.write_exercise(tmp_path, ex, ["def mse_loss(y_pred, y):\n    return y_pred.nope()\n"],
                                    "ex04_mse_loss.ipynb")
    line = (tmp_path / ex.path).read_text().splitlines().index("    return y_pred.nope()") + 1
    target = Target("notebooks", {ex.folder: tmp_path / ex.folder}, origins={ex.path: origin})
    assert target.file(ex) == "ex04_mse_loss.ipynb"
    assert target.place(ex, Location(ex.file, line, "return y_pred.nope()")) == Location(
        "ex04_mse_loss.ipynb", 2, "return y_pred.nope()", "your code cell")


# --- regenerating --------------------------------------------------------------------


def _answer(path: Path) -> str:
    return "".join(roles(json.loads(path.read_text(encoding="utf-8")), "answer")[0]["source"])


def test_regenerating_refreshes_untouched_notebooks_and_keeps_edited_ones(tmp_path):
    out = tmp_path / "nb"
    stubs = write_stubs(tmp_path / "stubs")
    assert run_grader("notebooks", "4", "5", "--target", str(stubs), "--out", str(out)).returncode == 0
    edited, ran = out / CHAPTER.folder / "ex04_mse_loss.ipynb", out / CHAPTER.folder / "ex05_init_params.ipynb"
    nb = json.loads(edited.read_text(encoding="utf-8"))
    roles(nb, "answer")[0]["source"] = ["def mse_loss(y_pred, y):\n", "    return 0\n"]
    edited.write_text(json.dumps(nb), encoding="utf-8")
    nb = json.loads(ran.read_text(encoding="utf-8"))
    for cell in nb["cells"]:  # run, not edited: outputs and metadata that Jupyter adds
        cell["metadata"]["collapsed"] = False
        if cell["cell_type"] == "code":
            cell["execution_count"] = 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]
    ran.write_text(json.dumps(nb), encoding="utf-8")
    mine = edited.read_bytes()

    run = run_grader("notebooks", "4", "5", "--target", "solutions", "--out", str(out))
    assert run.returncode == 0 and not run.stderr
    assert f"kept        {CHAPTER.folder}/ex04_mse_loss.ipynb" in run.stdout and "--force" in run.stdout
    assert f"updated     {CHAPTER.folder}/ex05_init_params.ipynb" in run.stdout
    assert edited.read_bytes() == mine
    assert "return tracked(0.0), tracked(0.0)" in _answer(ran)

    run = run_grader("notebooks", "4", "--target", "solutions", "--out", str(out), "--force")
    assert run.returncode == 0 and f"replaced    {CHAPTER.folder}/ex04_mse_loss.ipynb" in run.stdout
    [backup] = (out / CHAPTER.folder / ".kata-backups").glob("ex04_mse_loss-*.ipynb")
    assert backup.read_bytes() == mine
    assert "return ((y_pred - y) ** 2).mean()" in _answer(edited)
    again = run_grader("notebooks", "4", "--target", "solutions", "--out", str(out))
    assert f"up to date  {CHAPTER.folder}/ex04_mse_loss.ipynb" in again.stdout


# --- the loss curve in the terminal ---------------------------------------------------


def test_the_training_report_shows_both_loss_curves_on_one_scale():
    ex = course().find("train")
    expected = [30 * 0.9**i for i in range(100)]
    slow = [30 * 0.99**i for i in range(100)]
    test = TestResult("test_x", TestStatus.FAIL, "m", properties={"losses": slow, "expected_losses": expected})
    run = RunResult("exercises", (ExerciseResult(ex, Status.FAIL, 0.0, "m", (test,), ex.path),))
    text = render(run, Style(types.SimpleNamespace(encoding="utf-8"), color=False))
    yours = re.search(r"loss, yours: +(\S+)", text).group(1)
    theirs = re.search(r"loss, expected: +(\S+)", text).group(1)
    assert len(yours) == len(theirs) == 40
    assert theirs[-1] == "▁" and yours[-1] != "▁"  # the slow curve ends higher, on the same scale


