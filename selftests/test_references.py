"""The kata is sound: every reference passes, every untouched stub is not started, every demo
ends in a clear line, and the maintainers' check finds the metadata and the files in agreement."""

import json
import subprocess
import sys

from conftest import ROOT, course, replace_function, write_stubs

from kata import dev


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
