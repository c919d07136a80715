"""The grader end to end, from the command line: exit codes, the JSON, the commands, and
what a learner sees when the command line is wrong or the grader itself fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import copy_kata, copy_solutions, course, replace_function, run_grader

from kata import cli
from kata.catalogue import stubs

EVERY = len(course().exercises)



def test_check_by_number_and_by_name(tmp_path):
    out = tmp_path / "result.json"
    run = run_grader("check", "4", "tracked", "06", "--target", "solutions", "--json", str(out))
    assert run.returncode == 0 and run.stderr == ""
    result = json.loads(out.read_text(encoding="utf-8"))
    assert [e["id"] for e in result["exercises"]] == ["01", "04", "06"]
    assert result["max_score"] == sum(course().find(k).points for k in ("01", "04", "06"))
    assert "Every exercise you asked for passes" in run.stdout


def test_one_chapter_is_graded_with_chapter_or_as_its_own_folder(tmp_path):
    first = course().chapters[0]
    for args in (["--chapter", "1"], ["--chapter", first.folder], ["--target", f"solutions/{first.folder}"]):
        out = tmp_path / "result.json"
        args = args if "--target" in args else [*args, "--target", "solutions"]
        run = run_grader("check", *args, "--json", str(out))
        assert run.returncode == 0 and run.stderr == "", run.stdout + run.stderr
        result = json.loads(out.read_text(encoding="utf-8"))
        assert [e["id"] for e in result["exercises"]] == [e.id for e in first.exercises]
        assert [c["number"] for c in result["chapters"]] == [1]


def test_the_version_and_a_guess_at_a_misspelt_exercise():
    version = run_grader("--version")
    assert version.returncode == 0 and version.stdout.startswith("PyTorch kata grader ")
    for args in (["check", "mse"], ["hint", "mse_los"], ["mse"]):
        run = run_grader(*args)
        assert run.returncode == 2 and "did you mean mse_loss" in run.stderr, run.stderr


def test_verbose_shows_each_failure_once(tmp_path):
    folder = copy_solutions(tmp_path / "submission")
    replace_function(folder, "mse_loss", "def mse_loss(y_pred, y):\n    return ((y_pred - y) ** 2).sum()\n")
    run = run_grader("check", "4", "--target", str(folder), "-v")
    assert run.returncode == 1
    assert run.stdout.count("got:      120.0") == 1
    assert "add -v" not in run.stdout


def test_a_bare_number_or_option_means_check():
    assert cli.normalise([]) == ["check"]
    assert cli.normalise(["3"]) == ["check", "3"]
    assert cli.normalise(["mse_loss"]) == ["check", "mse_loss"]
    assert cli.normalise(["--target", "solutions"]) == ["check", "--target", "solutions"]
    assert cli.normalise(["hint", "3"]) == ["hint", "3"]


def test_list_shows_every_exercise_with_status_and_points():
    run = run_grader("list", "--target", "solutions")
    assert run.returncode == 0 and run.stderr == ""
    for ex in course().exercises:
        line = next(line for line in run.stdout.splitlines() if f"{ex.id} {ex.name}" in line)
        assert "passed" in line and f"{ex.points:g}/{ex.points:g}" in line
    assert all(c.title in run.stdout for c in course().chapters)


def test_a_syntax_error_stays_in_its_exercise_and_the_folder_is_not_written(tmp_path):
    folder = copy_solutions(tmp_path / "submission")
    replace_function(folder, "predict", "def predict(x, w, b)\n    return w * x + b\n")
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    out = tmp_path / "result.json"
    run = run_grader("check", "--chapter", "1", "--target", str(folder), "--json", str(out))
    assert run.returncode == 1 and run.stderr == ""
    graded = {e["id"]: e for e in json.loads(out.read_text(encoding="utf-8"))["exercises"]}
    assert list(graded) == [e.id for e in course().chapters[0].exercises]  # the chapter that holds predict
    path = course().find("06").path
    line = 1 + (folder / path).read_text(encoding="utf-8").splitlines().index("def predict(x, w, b)")
    assert graded["06"]["status"] == "error"
    assert graded["06"]["location"] == {"file": path, "line": line, "code": "def predict(x, w, b)", "cell": ""}
    assert f"{path}, line {line}" in graded["06"]["message"] and "SyntaxError" in graded["06"]["message"]
    assert graded["09"]["status"] == "error"  # train uses predict
    assert all(e["status"] == "pass" for i, e in graded.items() if i not in ("06", "09"))
    assert f"submission/{path}, line {line}" in " ".join(run.stdout.split())  # named as the learner opens it
    assert {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


# --- hints -----------------------------------------------------------------------------


def test_hint_gives_the_next_hint_each_time_and_survives_a_lost_state_file(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    ex = course().find("mse_loss")

    def hint(key: str = "4") -> str:
        run = run_grader("hint", key, kata=kata, cwd=kata)
        assert run.returncode == 0 and run.stderr == ""
        return run.stdout

    first = hint()
    assert "Hint 1 of 3 for exercise 04 (mse_loss)" in first and ex.hints[0].splitlines()[0] in first
    second = hint("mse_loss")
    assert "Hint 2 of 3" in second and ex.hints[1].splitlines()[0] in second
    third = hint("04")
    assert "Hint 3 of 3" in third and "That was the last hint" in third
    assert "Hint 3 of 3" in hint()
    assert "Hint 1 of 3 for exercise 01" in hint("1")  # each exercise counts on its own
    (kata / ".kata-state.json").unlink()
    assert "Hint 1 of 3" in hint()
    (kata / ".kata-state.json").write_text("{not json", encoding="utf-8")
    assert "Hint 1 of 3" in hint()
    assert "Hint 2 of 3" in hint()
    again = run_grader("hint", "4", "1", kata=kata, cwd=kata)
    assert "Hint 1 of 3" in again.stdout and ex.hints[0].splitlines()[0] in again.stdout
    assert "Hint 3 of 3" in hint()  # reading one again does not move on


# --- exit status 2: the command line is wrong ------------------------------------------

EXERCISES = "01 (tracked), 02 (sum_of_squares_grads)"
USAGE_ERRORS = {
    "unknown exercise": (["check", "99"], EXERCISES),
    "unknown exercise name": (["hint", "frobnicate"], EXERCISES),
    "unknown chapter": (["check", "--chapter", "9"], "the chapters are 1 (ch1_autograd)"),
    "reset of nothing": (["reset", "--yes"], "name the exercises to reset"),
    "unknown command": (["frobnicate"], "commands are check"),
    "exercise missing": (["hint"], EXERCISES),
    "target missing": (["check", "--target", "no-such-folder"], "give exercises, solutions"),
    "target is a file": (["check", "--target", "grader.py"], "give exercises, solutions"),
    "JSON folder missing": (["check", "--json", "{tmp}/missing/result.json"], "does not exist"),
    "JSON path is a folder": (["check", "--json", "{tmp}"], "it is a folder; give a file name"),
    "JSON path unwritable": (["check", "--json", "/proc/result.json"], "cannot write JSON"),
    "timeout not a number": (["check", "--timeout", "soon"], "expected a number of seconds"),
    "timeout not positive": (["check", "--timeout", "-1"], "positive number of seconds"),
    "timeout value missing": (["check", "--timeout"], "usage: python grader.py check"),
    "unknown isolation": (["check", "--isolation", "thread"], "choose from 'fork', 'spawn'"),
    "unknown option": (["check", "--bogus"], "usage: python grader.py check"),
    "extra argument": (["list", "3"], "usage: python grader.py list"),
    "batch output unwritable": (["grade", "solutions", "--out", "/proc/graded"], "cannot write results"),
    "reset of the solutions": (["reset", "4", "--target", "solutions", "--yes"], "never changes solutions/"),
}


@pytest.mark.parametrize("case", USAGE_ERRORS, ids=str)
def test_a_bad_command_line_is_one_line_and_exit_2(tmp_path, case):
    args, valid = USAGE_ERRORS[case]
    run = run_grader(*[a.format(tmp=tmp_path) for a in args])
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ""
    assert run.stderr.startswith("grader: ") and run.stderr.count("\n") == 1, run.stderr
    assert valid in run.stderr
    assert "Traceback" not in run.stderr


# --- exit status 3: the grader itself failed -------------------------------------------


def test_an_internal_error_says_so_and_where_the_details_are(monkeypatch, capsys, tmp_path):
    def broken(args):
        raise RuntimeError("a bug in the grader")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cli.COMMANDS["list"], "run", broken)
    assert cli.main(["list"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    log = tmp_path / cli.ERROR_LOG
    assert "internal error" in err and "not caused by your code" in err
    assert str(log) in err and "Reporting a problem" in err
    details = log.read_text(encoding="utf-8")
    assert "python grader.py list" in details and "RuntimeError: a bug in the grader" in details


def test_a_broken_grader_exits_3_from_the_command_line(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    (kata / "kata" / "catalogue" / "course.toml").write_text("[[chapter]\n", encoding="utf-8")
    run = run_grader("check", kata=kata, cwd=kata, env={"TMPDIR": str(tmp_path)})
    assert run.returncode == 3 and run.stdout == ""
    assert "internal error" in run.stderr and str(tmp_path / cli.ERROR_LOG) in run.stderr
    assert "Traceback" not in run.stderr
    assert "TOMLDecodeError" in (tmp_path / cli.ERROR_LOG).read_text(encoding="utf-8")


# --- reset -----------------------------------------------------------------------------

MY_WORK = "# my work in progress\n"


@pytest.fixture
def kata(tmp_path) -> Path:
    """A copy of the kata whose exercise 04 holds some of the learner's work."""
    kata = copy_kata(tmp_path / "kata")
    path = kata / "exercises" / course().find("04").path
    path.write_text(path.read_text(encoding="utf-8") + MY_WORK, encoding="utf-8")
    return kata


def _reset_in_a_terminal(kata: Path, answer: str) -> subprocess.CompletedProcess:
    """`grader.py reset 4` with a terminal as its input, answering `answer`."""
    leader, follower = os.openpty()
    try:
        os.write(leader, answer.encode() + b"\n")
        return subprocess.run([sys.executable, str(kata / "grader.py"), "reset", "4"], cwd=kata,
                              stdin=follower, capture_output=True, text=True, timeout=60)
    finally:
        os.close(leader)
        os.close(follower)


def _backups(kata: Path) -> list[Path]:
    folder = kata / ".kata-backups"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_reset_asks_on_a_terminal_and_no_changes_nothing(kata):
    path = kata / "exercises" / course().find("04").path
    before = path.read_bytes()
    run = _reset_in_a_terminal(kata, "n")
    assert run.returncode == 1 and run.stderr == ""
    assert "[y/N]" in run.stdout and "Nothing changed" in run.stdout
    assert path.read_bytes() == before and _backups(kata) == []


def test_reset_restores_the_stub_after_keeping_a_backup(kata):
    ex = course().find("04")
    path = kata / "exercises" / ex.path
    before = path.read_bytes()
    run = _reset_in_a_terminal(kata, "y")
    assert run.returncode == 0 and run.stderr == ""
    assert path.read_text(encoding="utf-8") == stubs.pristine_stub(ex, kata)
    [backup] = _backups(kata)
    assert backup.read_bytes() == before and backup.name.startswith("ex04_mse_loss-")
    assert f".kata-backups/{backup.name}" in run.stdout
    assert f"cp .kata-backups/{backup.name} exercises/{ex.path}" in run.stdout  # how to bring it back


def test_reset_without_a_terminal_needs_yes(kata):
    path = kata / "exercises" / course().find("04").path
    before = path.read_bytes()
    refused = run_grader("reset", "4", kata=kata, cwd=kata)
    assert refused.returncode == 2 and "--yes" in refused.stderr and refused.stderr.count("\n") == 1
    assert path.read_bytes() == before and _backups(kata) == []
    done = run_grader("reset", "mse_loss", "--yes", kata=kata, cwd=kata)
    assert done.returncode == 0 and done.stderr == ""
    assert path.read_text(encoding="utf-8") == stubs.pristine_stub(course().find("04"), kata)
    assert [b.read_bytes() for b in _backups(kata)] == [before]
    again = run_grader("reset", "4", "--yes", kata=kata, cwd=kata)
    assert again.returncode == 0 and "already the untouched stub" in again.stdout
    assert len(_backups(kata)) == 1


def test_reset_brings_back_a_missing_file(kata):
    ex = course().find("08")
    path = kata / "exercises" / ex.path
    path.unlink()
    run = run_grader("reset", "8", "--yes", kata=kata, cwd=kata)
    assert run.returncode == 0 and run.stderr == ""
    assert path.read_text(encoding="utf-8") == stubs.pristine_stub(ex, kata)
    assert _backups(kata) == [] and "kept in" not in run.stdout


def test_reset_of_a_chapter_keeps_every_file_first(kata):
    chapter = course().chapters[0]
    for ex in chapter.exercises:
        (kata / "exercises" / ex.path).write_text(f"# my {ex.name}\n", encoding="utf-8")
    run = run_grader("reset", "--chapter", "1", "--yes", kata=kata, cwd=kata)
    assert run.returncode == 0 and run.stderr == ""
    for ex in chapter.exercises:
        assert (kata / "exercises" / ex.path).read_text(encoding="utf-8") == stubs.pristine_stub(ex, kata)
    assert sorted(b.read_text() for b in _backups(kata)) == sorted(f"# my {e.name}\n" for e in chapter.exercises)


def test_a_test_module_that_does_not_load_is_the_kata_s_problem_not_the_learner_s(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    broken = kata / "tests" / course().find("04").test_path
    broken.write_text('raise RuntimeError("no such data")\n' + broken.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "result.json"
    run = run_grader("check", "4", "6", "--target", "solutions", "--json", str(out), kata=kata, cwd=kata)
    assert run.returncode == 1 and run.stderr == ""
    graded = {e["id"]: e for e in json.loads(out.read_text(encoding="utf-8"))["exercises"]}
    assert graded["04"]["status"] == "error"
    assert graded["04"]["message"] == ("The tests for exercise 04 could not be loaded, so it cannot be graded. This "
                                       "is a problem with the kata's tests, not your code: RuntimeError: no such data")
    assert graded["06"]["status"] == "pass"
