"""The kata is sound: every reference passes, every untouched stub is not started (with the exit
status, output and JSON a learner gets for each), every demo ends in a clear line, and the
maintainers' check finds the metadata and the files in agreement."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, copy_solutions, course, replace_function, write_stubs

from kata import dev
from kata.catalogue.stubs import pristine_stub
from kata.grading.engine import untouched
from kata.grading.target import folder_target

STATUSES = {"pass", "fail", "not_started", "error", "timeout"}
TEST_STATUSES = {"pass", "fail", "error", "skip"}


def test_every_reference_solution_passes(graded_references):
    graded = graded_references["solutions"]
    assert graded["run"].returncode == 0, graded["run"].stdout
    statuses = {e["id"]: e["status"] for e in graded["json"]["exercises"]}
    assert statuses == {e.id: "pass" for e in course().exercises}
    assert graded["json"]["score"] == graded["json"]["max_score"] == sum(e.points for e in course().exercises)


def test_every_untouched_stub_is_not_started(graded_references):
    graded = graded_references["exercises"]
    assert graded["run"].returncode == 1
    statuses = {e["id"]: e["status"] for e in graded["json"]["exercises"]}
    assert statuses == {e.id: "not_started" for e in course().exercises}
    assert graded["json"]["score"] == 0


def test_every_test_of_a_stub_fails(graded_references):
    for exercise in graded_references["exercises"]["json"]["exercises"]:
        assert exercise["tests"], exercise["id"]
        assert all(t["status"] != "pass" for t in exercise["tests"]), exercise["id"]


# --- what a check of the references and of the stubs says: exit status, output, JSON --------
# (they read the one grading of both that the session makes: conftest.graded_references)


def test_everything_passed_is_0_and_nothing_on_stderr(graded_references):
    run = graded_references["solutions"]["run"]
    assert run.returncode == 0 and run.stderr == ""
    for chapter in course().chapters:
        assert f"{len(chapter.exercises)}/{len(chapter.exercises)} exercises" in run.stdout
        assert f"Chapter {chapter.number} complete" in run.stdout and chapter.title in run.stdout


def test_anything_not_passed_is_1_and_nothing_on_stderr(graded_references):
    run = graded_references["exercises"]["run"]
    assert run.returncode == 1 and run.stderr == ""
    for chapter in course().chapters:
        assert f"0/{len(chapter.exercises)} exercises" in run.stdout
    first = course().exercises[0]
    assert f"Next: exercise {first.id}, {first.name}" in run.stdout


@pytest.mark.parametrize("name", ["solutions", "exercises"])
def test_the_json_has_every_required_field(graded_references, name):
    result = graded_references[name]["json"]
    assert result["version"] == 1
    assert result["status"] == ("pass" if name == "solutions" else "fail")
    assert isinstance(result["score"], float) and result["max_score"] == sum(e.points for e in course().exercises)
    assert [e["id"] for e in result["exercises"]] == [ex.id for ex in course().exercises]
    assert [c["number"] for c in result["chapters"]] == [c.number for c in course().chapters]
    for graded, ex in zip(result["exercises"], course().exercises):
        assert (graded["name"], graded["chapter"], graded["file"], graded["max_score"]) == (
            ex.name, ex.chapter, ex.path, ex.points)
        assert graded["status"] in STATUSES
        assert graded["score"] == (ex.points if graded["status"] == "pass" else 0)
        assert isinstance(graded["message"], str) and (graded["message"] == "") == (graded["status"] == "pass")
        assert graded["tests"]
        for test in graded["tests"]:
            assert test["status"] in TEST_STATUSES
            assert isinstance(test["name"], str) and isinstance(test["message"], str)
    assert result["score"] == sum(e["score"] for e in result["exercises"])


def test_an_untouched_kata_says_nothing_about_changes(graded_references):
    result = graded_references["solutions"]["json"]
    assert result["changed_files"] == [] and result["changed_files_note"] == ""
    assert "differ from the kata's originals" not in graded_references["solutions"]["run"].stdout


def test_the_maintainers_check_finds_nothing_out_of_date():
    problems, stale = dev.check(ROOT)
    assert problems == [] and stale == [], "run `python -m kata.dev check` and mend what it says"


def test_the_maintainers_check_holds_a_plot_to_its_phrase_and_to_python():
    from kata.catalogue.course import METADATA, parse

    text = METADATA.read_text(encoding="utf-8")
    assert text.count('plot_shows = "the line your `train`') == 1
    no_phrase = parse(text.replace('plot_shows = "the line your `train`', 'plot_note = "', 1))
    assert "exercise 09 (train): give plot and plot_shows together, or neither" in dev.metadata_problems(no_phrase)
    broken = parse(text.replace("y = 2 * x\n", "y = 2 *\n", 1))
    assert any(p.startswith("exercise 09 (train): its plot does not parse (line 2")
               for p in dev.metadata_problems(broken))
    assert dev.metadata_problems(parse(text)) == []


# Runs the demo of each module named on stdin, as `python -m` would; prints {module: what it printed,
# or "raised ..." when an exception escaped the demo}.
DEMOS = """
import contextlib, io, json, runpy, sys
shown = {}
for module in json.loads(sys.stdin.read()):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_module(module, run_name="__main__")
        shown[module] = out.getvalue()
    except BaseException as exc:
        shown[module] = f"raised {type(exc).__name__}: {exc}"
print(json.dumps(shown))
"""


def _demos(folder) -> dict[str, str]:
    modules = [f"exercises.{ex.folder}.{ex.stem}" for ex in course().exercises]
    run = subprocess.run([sys.executable, "-c", DEMOS], cwd=folder.parent, input=json.dumps(modules),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    return json.loads(run.stdout)


def test_every_demo_ends_in_a_clear_line_for_a_stub_and_for_a_wrong_result(tmp_path):
    """`python -m exercises...` prints what the exercise is waiting for, or one line saying where a
    wrong result stopped the demo, and never a traceback."""
    folder = write_stubs(tmp_path / "exercises")
    (folder / "__init__.py").write_text("")
    stubs = _demos(folder)
    for ex in course().exercises:
        replace_function(folder, ex.name, f"def {ex.name}(*args, **kwargs):\n    return None\n")
    nones = _demos(folder)
    for ex in course().exercises:
        module = f"exercises.{ex.folder}.{ex.stem}"
        assert "is not done yet" in stubs[module], (module, stubs[module])
        assert not nones[module].startswith("raised"), (module, nones[module])
    # A result the demo cannot show (None where a tensor belongs) stops it with one line.
    stopped = nones["exercises.ch1_autograd.ex02_sum_of_squares"]
    assert stopped.startswith("The demo stopped at TypeError") and "python grader.py check 2" in stopped, stopped


# Grades each folder on stdin in one warm session, with the verdict on untouched stubs taken as
# the grader takes it, then with every stub run in its process; prints both JSON reports.
BOTH_WAYS = """
import json, sys
from pathlib import Path
from kata.catalogue.course import course
from kata.feedback.json_report import run_json
from kata.grading import engine
from kata.grading.target import folder_target

def work(grader):
    targets = [folder_target(Path(f)) for f in json.loads(sys.stdin.read())]
    known = [run_json(run) for run in grader.grade(targets, list(course().exercises))]
    engine.untouched = lambda ex, target: False
    run = [run_json(run) for run in grader.grade(targets, list(course().exercises))]
    return known, run

print(json.dumps(engine.in_session(work, list(course().exercises), timeout=60)))
"""


def _without_times(report):
    if isinstance(report, dict):
        return {k: _without_times(v) for k, v in report.items() if "seconds" not in k}
    return [_without_times(v) for v in report] if isinstance(report, list) else report


STUBBED = ("Linear", "Adam", "fit", "train_classifier")  # two classes, a function others use, a finale


def test_an_untouched_stub_is_judged_as_its_process_would_judge_it(tmp_path):
    """The grader knows an untouched stub's verdict without starting its process; that verdict, word
    for word, is the one the process gives: with every exercise a stub, and with its neighbours done."""
    stubs = write_stubs(tmp_path / "stubs")
    among_references = copy_solutions(tmp_path / "among_references")
    for name in STUBBED:
        ex = course().named(name)
        (among_references / ex.path).write_text(pristine_stub(ex), encoding="utf-8")
    run = subprocess.run([sys.executable, "-c", BOTH_WAYS], input=json.dumps([str(stubs), str(among_references)]),
                         capture_output=True, text=True, timeout=300, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr[-3000:]
    known, by_process = json.loads(run.stdout.splitlines()[-1])
    assert _without_times(known) == _without_times(by_process)
    statuses = {e["name"]: e["status"] for e in known[1]["exercises"]}
    assert [statuses[name] for name in STUBBED] == ["not_started"] * len(STUBBED)


def test_only_a_plain_file_holding_the_stub_byte_for_byte_is_untouched(tmp_path):
    ex = course().named("mse_loss")
    stubs = write_stubs(tmp_path / "stubs")
    target = folder_target(stubs)
    assert untouched(ex, target)
    path = stubs / ex.path
    path.write_text(pristine_stub(ex) + "\n", encoding="utf-8")  # one more byte: the learner's file now
    assert not untouched(ex, target)
    path.write_text(pristine_stub(ex).replace("raise NotImplementedError", "raise  NotImplementedError"))
    assert not untouched(ex, target)
    path.unlink()
    (tmp_path / "elsewhere.py").write_text(pristine_stub(ex), encoding="utf-8")
    path.symlink_to(tmp_path / "elsewhere.py")
    assert not untouched(ex, target)  # graded by its process, which reads the learner's link as it is
    path.unlink()
    os.mkfifo(path)  # never opened: reading a pipe would wait for ever
    assert not untouched(ex, target)
    path.unlink()
    assert not untouched(ex, target)
