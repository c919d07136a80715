"""The notebooks: made from the exercise files, valid, self-checking in a real Jupyter
kernel, gradable as files and folders, and never overwritten once a learner edits them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat import v4

from conftest import ROOT, copy_solutions, course, replace_function, run_grader, write_stubs

from kata.catalogue.stubs import stubify
from kata.feedback.notebook import WIDTH
from kata.feedback.report import render
from kata.feedback.style import Style
from kata.grading.results import ExerciseResult, RunResult, TestResult
from kata.grading.runner import DEFAULT_TIMEOUT
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
    seconds: list[float]  # per cell


def kernel_env(scratch: Path, **more: str) -> dict[str, str]:
    """A kernel's environment: this kata first on the path (not an installed one), and the
    temporary files, the checker's socket among them, in `scratch`."""
    return dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(scratch), **more)


async def _execute(paths: list[Path], scratch: Path, extra: tuple[str, ...] = (), **env: str) -> list[Executed]:
    """Run every cell of each notebook in turn, in one kernel, then the `extra` cells after the
    last one; stop at any error. (Solved notebooks of a folder share a kernel to save starting
    one each: what a check grades is the code cell just run, in the checker, so nothing left
    in the kernel by an earlier notebook counts.) The kernel is killed at the end, so its
    temporary files go to `scratch`."""
    notebooks = [nbformat.read(path, as_version=4) for path in paths]
    notebooks[-1].cells += [v4.new_code_cell(source) for source in extra]
    client = NotebookClient(notebooks[0], timeout=CELL_SECONDS, kernel_name="python3", shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(paths[0].parent)}})
    done = []
    async with client.async_setup_kernel(env=kernel_env(scratch, **env)):
        for nb in notebooks:
            client.nb = nb  # the client writes each cell's outputs back into its notebook
            seconds = []
            for index, cell in enumerate(nb.cells):
                started = time.monotonic()
                await client.async_execute_cell(cell, index, store_history=True)
                seconds.append(time.monotonic() - started)
            done.append(Executed(nb, await client.km.is_alive(), seconds))
    return done


# Run after the unsolved training notebook, in its kernel: a mistake, a name that is no
# exercise, a missing notebook, then the checker a kernel starts where it cannot share one.
AFTERWARDS = (
    "def train(x, y, lr=0.01, epochs=100):\n    losses = []\n    return undefined_name\n",
    'kata.check("09")',
    'kata.check("mse")',
    'import os\nos.remove("ex05_init_params.ipynb")\ninit_params = kata.earlier("init_params")',
    'kata.check("09")',
    'kata.server.address = lambda: None\nkata.check("04")',
)


ENDLESS = "def mse_loss(y_pred, y):\n    n = 0\n    while True:\n        n += 1\n"
SUMS = "def mse_loss(y_pred, y):\n    return ((y_pred - y) ** 2).sum()\n"


def made_with(tmp: Path, name: str, code: str) -> Path:
    """Chapter 1's notebooks made from the solutions with the function `name` replaced by `code`."""
    replace_function(copy_solutions(tmp / "files"), name, code)
    run = run_grader("notebooks", "--target", str(tmp / "files"), "--out", str(tmp / "notebooks"))
    assert run.returncode == 0, run.stdout + run.stderr
    return tmp / "notebooks" / CHAPTER.folder


def edited(answer: str) -> str:
    """A cell that does what a learner does who changes the code cell and saves the notebook,
    without running the cell."""
    return ("import nbformat\n"
            "nb = nbformat.read(__session__, as_version=4)\n"
            "[cell] = [c for c in nb.cells if c.metadata.get('kata', {}).get('role') == 'answer']\n"
            f"cell.source = {answer!r}\n"
            "nbformat.write(nb, __session__)")


AFTER_AN_EDIT = (
    edited("def mse_loss(y_pred, y):\n    return (y_pred - y).abs().mean()\n"),
    'kata.check("04")',
    '%%try_it 04\nprint(mse_loss(torch.tensor([3.0]), torch.tensor([1.0])).item())',
    SUMS,  # run, not saved
    'kata.check("04")',
)


@pytest.fixture(scope="session")
def executed(made, tmp_path_factory) -> dict[str, Executed]:
    """Every solved notebook, a chapter's in one kernel; the unsolved training notebook, then AFTERWARDS in its kernel; the
    notebook of an mse_loss that never returns; the training notebook beside an mse_loss that
    sums; and a solved, renamed mse_loss notebook, then AFTER_AN_EDIT in its kernel (its name
    given as JupyterLab gives it). Each in its own kernel, a few at once, all with one checker."""
    jobs = {tuple(f"solved {p.name}" for p in paths): (paths, (), {})
            for paths in (sorted((made["solutions"].parent / c.folder).glob("*.ipynb")) for c in course().chapters)}
    unsolved = shutil.copytree(made["exercises"], tmp_path_factory.mktemp("unsolved") / "notebooks")
    jobs["unsolved ex09_train.ipynb",] = ([unsolved / "ex09_train.ipynb"], AFTERWARDS, {})
    endless = made_with(tmp_path_factory.mktemp("endless"), "mse_loss", ENDLESS)
    jobs["endless ex04_mse_loss.ipynb",] = ([endless / "ex04_mse_loss.ipynb"], (), {})
    sums = made_with(tmp_path_factory.mktemp("sums"), "mse_loss", SUMS)
    jobs["sums ex09_train.ipynb",] = ([sums / "ex09_train.ipynb"], (), {})
    renamed = shutil.copytree(made["solutions"], tmp_path_factory.mktemp("renamed") / "notebooks")
    mine = (renamed / "ex04_mse_loss.ipynb").rename(renamed / "my loss.ipynb")
    jobs["edited my loss.ipynb",] = ([mine], AFTER_AN_EDIT, {"JPY_SESSION_NAME": str(mine)})
    scratch = tmp_path_factory.mktemp("kernel-tmp")

    async def run_all() -> dict[str, Executed]:
        gate = asyncio.Semaphore(KERNELS_AT_ONCE)

        async def one(paths: list[Path], extra: tuple[str, ...], env: dict[str, str]) -> list[Executed]:
            async with gate:
                return await _execute(paths, scratch, extra, **env)

        results = await asyncio.gather(*(one(*job) for job in jobs.values()))
        return {name: run for names, runs in zip(jobs, results) for name, run in zip(names, runs)}

    return asyncio.run(run_all())


def test_every_solved_notebook_runs_without_error_and_passes_its_check(executed):
    for ex in course().exercises:
        run = executed[f"solved {ex.stem}.ipynb"]
        for cell in run.nb.cells:
            if cell.cell_type == "code":
                assert all(o["output_type"] != "error" for o in cell["outputs"]), (ex.id, cell.source)
        report = printed(roles(run.nb, "check")[0])
        assert f"Exercise {ex.id} ({ex.name}): passed" in report, report


def test_the_try_it_cells_show_what_the_example_prints(executed):
    run = executed["solved ex09_train.ipynb"]
    [cell] = roles(run.nb, "try")
    assert cell.source.startswith('%%try_it 09\n')
    text = printed(cell)
    assert "epoch  10  loss 1.175107" in text and "w = 1.846347, b = 0.451757" in text, text


def test_the_training_notebook_plots_the_loss_and_the_line(executed):
    plot = roles(executed["solved ex09_train.ipynb"].nb, "plot")[0]
    assert any("image/png" in o.get("data", {}) for o in plot["outputs"]), plot["outputs"]


def test_a_class_is_written_and_checked_in_its_notebook_as_a_function_is(executed):
    nb = executed["solved ex11_linear.ipynb"].nb
    assert "`class Linear(nn.Module)`" in roles(nb, "task")[0]["source"]
    assert roles(nb, "answer")[0]["source"].startswith("class Linear(nn.Module):")
    assert "Exercise 11 (Linear): passed" in printed(roles(nb, "check")[0])


def test_the_last_notebook_plots_the_loss_and_the_boundary(executed):
    plot = roles(executed["solved ex21_train_classifier.ipynb"].nb, "plot")[0]
    assert any("image/png" in o.get("data", {}) for o in plot["outputs"]), plot["outputs"]


def test_the_digits_notebook_plots_the_curves_the_matrix_and_misread_digits(executed):
    plot = roles(executed["solved ex33_train_digits.ipynb"].nb, "plot")[0]
    assert any("image/png" in o.get("data", {}) for o in plot["outputs"]), plot["outputs"]
    assert "of 359 digits it never saw read right" in printed(plot)


def test_an_unsolved_notebook_reports_not_started_and_its_kernel_lives_on(executed):
    run = executed["unsolved ex09_train.ipynb"]
    report = printed(roles(run.nb, "check")[0])
    assert "Exercise 09 (train): not started" in report, report
    assert "Write your code in the cell under Your code" in report
    assert "Exercise 09 (train) is not done yet" in printed(roles(run.nb, "try")[0])
    wrong, unknown, missing, unchecked, own = (printed(c) for c in run.nb.cells[-5:])
    assert "NameError" in wrong and "your code cell, line 3" in wrong, wrong
    assert "Traceback" not in wrong
    assert "There is no notebook for exercise 05 (init_params)" in missing, missing
    assert "Exercise 09 could not be checked: train uses init_params from exercise 05" in unchecked
    assert run.alive


def test_a_name_that_is_no_exercise_gets_one_line_that_suggests_the_right_one(executed):
    cell = executed["unsolved ex09_train.ipynb"].nb.cells[-4]
    assert cell.source == 'kata.check("mse")'
    # only printed text, no traceback (the kernel may send the one line in more than one piece)
    assert cell["outputs"] and {o["output_type"] for o in cell["outputs"]} == {"stream"}
    assert printed(cell) == "Unknown exercise 'mse': did you mean mse_loss (04)?\n"


def test_where_a_checker_cannot_be_shared_the_kernel_starts_its_own(executed):
    own = printed(executed["unsolved ex09_train.ipynb"].nb.cells[-1])
    assert "Exercise 04 (mse_loss): not started" in own, own


def test_an_endless_loop_stops_the_try_it_cell_and_the_check_but_not_the_notebook(executed):
    run = executed["endless ex04_mse_loss.ipynb"]
    tried = printed(roles(run.nb, "try")[0])
    assert f"This cell did not finish: it was still running after {DEFAULT_TIMEOUT:g} s of CPU time" in tried, tried
    assert re.search(r"Look at your code cell, line [34]\.", tried), tried  # inside the loop
    [check] = roles(run.nb, "check")
    report = printed(check)
    assert "Exercise 04 (mse_loss): timed out" in report and re.search(r"your code cell, line [34]", report)
    assert run.alive


def test_the_try_it_cell_and_the_check_use_the_same_code(executed, tmp_path):
    """Beside an mse_loss that sums, the training notebook's Try-it prints what the files print,
    and its check says what `python grader.py check` says of the files."""
    run = executed["sums ex09_train.ipynb"]
    files = replace_function(copy_solutions(tmp_path / "files"), "mse_loss", SUMS).parents[1]
    as_script = subprocess.run([sys.executable, "-m", f"files.{CHAPTER.folder}.ex09_train"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert printed(roles(run.nb, "try")[0]) == as_script.stdout != ""
    graded = run_grader("check", "9", "--target", str(files), "--json", str(tmp_path / "r.json"))
    [result] = json.loads((tmp_path / "r.json").read_text())["exercises"]
    message = next(t["message"] for t in result["tests"] if t["status"] != "pass")
    report = printed(roles(run.nb, "check")[0])
    assert "Exercise 09 (train): failed" in report and graded.returncode == 1
    assert " ".join(message.split()) in " ".join(report.split()), (message, report)


def test_a_check_says_when_the_cell_changed_after_it_was_run(executed):
    run = executed["edited my loss.ipynb"]
    _, check, tried, _, rerun = (printed(c) for c in run.nb.cells[-5:])
    note = "the cell that defines mse_loss has changed since you last ran it"
    assert f"Note: {note}, and this check graded the version you ran" in " ".join(check.split())
    assert "Exercise 04 (mse_loss): passed" in check  # the version that ran, not the one saved
    assert f"Note: {note}, and this cell used the version you ran" in " ".join(tried.split())
    assert tried.endswith("4.0\n")  # (3 - 1) ** 2, by the version that ran
    assert "has changed" not in rerun and "Exercise 04 (mse_loss): failed" in rerun, rerun  # run since the save


def test_messages_fit_the_notebook(executed):
    """Every line the kata prints fits the notebook (what the learner's code prints is theirs)."""
    ours = [c for run in executed.values() for c in run.nb.cells if c.cell_type == "code" and "kata." in c.source]
    ours += roles(executed["endless ex04_mse_loss.ipynb"].nb, "try")
    for cell in ours:
        for line in printed(cell).splitlines():
            assert len(line) <= WIDTH, line


def proc_stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name: its state, its parent, ...; OSError once it is gone."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def ended(pid: int) -> bool:
    """Whether the process has ended and let go of everything it held (gone, or a zombie)."""
    try:
        return proc_stat(pid)[0] == "Z"
    except OSError:
        return True


def checkers(scratch: Path) -> list[int]:
    """The checkers that kernels with their temporary files in `scratch` have started (not
    their short-lived forks, which grade one exercise each)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if (b"kata.notebooks.server" in (entry / "cmdline").read_bytes()
                    and f"TMPDIR={scratch}".encode() in (entry / "environ").read_bytes().split(b"\0")):
                found[int(entry.name)] = int(proc_stat(int(entry.name))[1])
        except (OSError, ValueError):
            continue
    return sorted(pid for pid, parent in found.items() if parent not in found)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts processes through /proc")
def test_open_notebooks_share_one_checker_which_outlives_a_kernel_and_ends_with_the_last(made, tmp_path):
    """Three open notebooks, one checker. An interrupt stops a Try-it cell's wait at once; the
    checker serves on when a kernel ends, is started again when it was killed (its socket left
    behind), and ends soon after the last kernel."""
    # A short folder: a socket's path has a limit of about 100 bytes, and tmp_path's is long.
    scratch = Path(tempfile.mkdtemp(prefix="kata-test-"))
    folder = shutil.copytree(made["solutions"], tmp_path / "notebooks")
    names = ["ex04_mse_loss", "ex06_predict", "ex09_train"]

    async def scenario() -> None:
        clients = {}
        for name in names:
            nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
            client = NotebookClient(nb, timeout=CELL_SECONDS, kernel_name="python3",
                                    resources={"metadata": {"path": str(folder)}})
            client.km = client.create_kernel_manager()
            await client.async_start_new_kernel(env=kernel_env(scratch))
            await client.async_start_new_kernel_client()
            clients[name] = (client, nb)

        async def run(name: str, *roles_: str) -> str:
            client, nb = clients[name]
            for index, cell in enumerate(nb.cells):
                if cell.metadata.get("kata", {}).get("role") in roles_:
                    await client.async_execute_cell(cell, index, store_history=True)
            return printed(roles(nb, roles_[-1])[0])

        async def added(name: str, source: str, tags: tuple[str, ...] = ()) -> dict:
            client, nb = clients[name]
            nb.cells.append(v4.new_code_cell(source, metadata={"tags": list(tags)}))
            await client.async_execute_cell(nb.cells[-1], len(nb.cells) - 1, store_history=True)
            return nb.cells[-1]

        async def interrupted(name: str, source: str) -> dict:
            """Run `source` in a new cell, and interrupt the kernel a second later; the cell."""
            running = asyncio.create_task(added(name, source, ("raises-exception",)))
            await asyncio.sleep(1)
            await clients[name][0].km.interrupt_kernel()
            return await running

        try:
            await asyncio.gather(*(run(name, "setup") for name in names))
            for name in names:
                assert "passed" in await run(name, "answer", "check")
            [checker] = checkers(scratch)
            assert b"--socket" in Path(f"/proc/{checker}/cmdline").read_bytes()
            first = names[0]
            await added(first, ENDLESS)
            cell = await interrupted(first, "%%try_it 04\nmse_loss(1, 2)")
            assert [o.get("ename") for o in cell["outputs"] if o["output_type"] == "error"] == ["KeyboardInterrupt"]
            # Stopped by the interrupt, not by the time limit, however busy the machine.
            assert "still running after" not in printed(cell) and await clients[first][0].km.is_alive()
            await clients[first][0].km.shutdown_kernel(now=True)  # the kernel that started it, perhaps
            assert "passed" in await run(names[1], "check")  # once the checker has stopped that loop
            assert checkers(scratch) == [checker]
            os.kill(checker, signal.SIGKILL)
            # Until the killed checker's memory is freed, its socket still takes connections (and
            # drops them): a check then says to run it again. The test waits that moment out.
            while not ended(checker):
                await asyncio.sleep(0.01)
            assert "passed" in await run(names[2], "check")
            assert len(checkers(scratch)) == 1
        finally:
            for client, _ in clients.values():
                if await client.km.is_alive():
                    await client.km.shutdown_kernel(now=True)

    try:
        asyncio.run(scenario())
        deadline = time.monotonic() + 60  # its last kernel's connection has closed: it ends at once
        while checkers(scratch) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert checkers(scratch) == []
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def test_the_plot_cell_without_matplotlib_says_how_to_get_it(made, monkeypatch, capsys):
    nb = nbformat.read(made["solutions"] / "ex09_train.ipynb", as_version=4)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    fake_torch = types.SimpleNamespace(tensor=list)
    magic, code = roles(nb, "plot")[0]["source"].split("\n", 1)
    assert magic == "%%try_it 09"
    exec(code, {"torch": fake_torch, "train": lambda x, y: (None, None, [1.0])})
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


