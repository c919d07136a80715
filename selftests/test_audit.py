"""The audit: points are judged outside the learner's process.

Each attack below is code a submission runs at import time, put at the end of every untouched
stub: it tampers with the tests, pytest, the grader's modules or the event channel inside the
learner's process, the way a determined student could. Whatever the teaching tests then say,
the stubs compute nothing, so no exercise may score. Exercise 09's attack reads the test
module's reference loop instead of learning.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import ROOT, copy_solutions, course, replace_function, run_grader, write_stubs
from test_course import first_chapter, read_grades

from kata.exercise_process import driver
from kata.grading import audit
from kata.grading.verdict import DISAGREED

TIMEOUT = "30"

NOTHING = '''
import sys as _sys


def _nothing(*args, **kwargs):
    return True
'''

ATTACKS = {
    "test-code-swapped": NOTHING + '''
for _module in list(_sys.modules.values()):
    if getattr(_module, "__name__", "").startswith("test_"):
        for _key, _value in list(vars(_module).items()):
            if _key.startswith("test_") and getattr(_value, "__code__", None) is not None:
                if not _value.__code__.co_freevars:
                    _value.__code__ = _nothing.__code__
''',
    "expect-swapped": NOTHING + '''
_sys.modules["support"].expect.__code__ = _nothing.__code__
''',
    "plugin-clears-failures": '''
import gc as _gc

import pytest as _pytest


class _Pass:
    @_pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        outcome = yield
        outcome.force_result(None)

    @_pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        outcome.get_result().outcome = "passed"


for _config in [o for o in _gc.get_objects() if type(o).__name__ == "Config"]:
    if not _config.pluginmanager.has_plugin("_pass"):
        _config.pluginmanager.register(_Pass(), "_pass")
''',
    "encoder-patched": '''
import dataclasses as _dc

import kata.exercise_process.guard as _guard
import kata.exercise_process.run as _run
import kata.outcomes as _outcomes

_guard.Tripwire.changes = lambda self: []  # blind to what follows

_encode = _outcomes.encode


def _passed(event):
    if isinstance(event, _outcomes.Tested):
        event = _outcomes.Tested(_dc.replace(event.record, status=_outcomes.TestStatus.PASS, message="",
                                             kind=_outcomes.Kind.ORDINARY))
    return _encode(event)


_run.encode = _passed
''',
    "events-forged": '''
import gc as _gc
import json as _json
import os as _os
import posix as _posix

_names = {o.name for o in _gc.get_objects() if type(o).__name__ == "Function" and hasattr(o, "nodeid")}
_lines = "".join(_json.dumps({"event": "test", "name": n, "status": "pass"}) + "\\n" for n in _names)
_lines += _json.dumps({"event": "done", "cpu": 0.0}) + "\\n"
for _fd in map(int, _os.listdir("/proc/self/fd")):
    try:
        if _fd > 2 and _os.readlink(f"/proc/self/fd/{_fd}").startswith("pipe:"):
            _os.write(_fd, _lines.encode())
    except OSError:
        pass
_posix._exit(0)
''',
}

# Exercise 09 that learns nothing: the numbers of the test module's own reference loop.
READS_REFERENCE = '''
def train(x, y, lr=0.01, epochs=100):
    import sys
    reference_w, reference_b, losses = sys.modules["test_ex09_train"].descend(x, y, lr, epochs)
    w, b = init_params()
    for _ in losses:  # every call the tests look for, learning nothing
        mse_loss(predict(x, w, b), y).backward()
        sgd_step([w, b], 0.0)
        zero_grad([w, b])
    with torch.no_grad():
        w.fill_(reference_w)
        b.fill_(reference_b)
    return w, b, losses
'''


def attacked_stubs(folder: Path, attack: str) -> Path:
    write_stubs(folder)
    for ex in course().exercises:
        path = folder / ex.path
        path.write_text(path.read_text(encoding="utf-8") + "\n" + ATTACKS[attack], encoding="utf-8")
    return folder


def _check(folder: Path, out: Path, exercises: list[str]) -> dict:
    run = run_grader("check", *exercises, "--target", str(folder), "--json", str(out), "--timeout", TIMEOUT)
    assert run.stderr == ""
    return json.loads(out.read_text(encoding="utf-8"))


# Under check, a function, a class and the finale of each chapter: each exercise's process meets
# the attack alone, and the grade below meets it in every exercise.
UNDER_CHECK = ["01", "09", "11", "21", "25", "33"]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_on_the_stubs_gains_no_points_under_check(tmp_path, attack):
    report = _check(attacked_stubs(tmp_path / attack, attack), tmp_path / "report.json", UNDER_CHECK)
    assert [e["id"] for e in report["exercises"]] == UNDER_CHECK
    assert [(e["id"], e["score"]) for e in report["exercises"] if e["score"]] == []
    assert report["score"] == 0


def test_exercise_09_that_reads_the_tests_reference_gains_nothing(tmp_path):
    folder = copy_solutions(tmp_path / "reads")
    replace_function(folder, "train", READS_REFERENCE)
    report = _check(folder, tmp_path / "report.json", ["08", "09"])
    by_id = {e["id"]: e for e in report["exercises"]}
    assert by_id["09"]["score"] == 0 and by_id["09"]["status"] == "fail"
    assert DISAGREED.split(":")[0] in by_id["09"]["message"]
    assert by_id["08"]["score"] == course().find("08").points  # the others are untouched


def test_no_attack_gains_points_under_grade(tmp_path):
    sources = [attacked_stubs(tmp_path / "in" / attack, attack) for attack in sorted(ATTACKS)]
    sources.append(first_chapter(tmp_path / "in" / "reads-reference"))  # chapter 1 alone: the rest scores 0
    replace_function(sources[-1], "train", READS_REFERENCE)
    # As root, as an instructor grades a class (and as the Gradescope bundle does): as nobody's group.
    as_nobody = ["--user", "nobody"] if os.geteuid() == 0 else []
    run = run_grader("grade", *map(str, sources), "--out", str(tmp_path / "out"), "--timeout", TIMEOUT, *as_nobody)
    assert run.returncode == 0 and run.stderr == ""
    grades = read_grades(tmp_path / "out")
    assert {name: float(grades[name]["total"]) for name in ATTACKS} == dict.fromkeys(ATTACKS, 0.0)
    assert grades["reads-reference"]["ex09"] == "0"
    full = sum(ex.points for ex in course().chapters[0].exercises)
    assert float(grades["reads-reference"]["total"]) == full - course().find("09").points


def test_every_exercise_declares_an_audit_and_a_probe():
    for chapter in course().chapters:
        checks = audit.chapter_checks(ROOT / "tests", chapter.folder)
        probes = driver.probes(ROOT / "tests", chapter.folder)
        assert {c.exercise for c in checks} == set(probes) == {ex.id for ex in chapter.exercises}


def test_the_driver_holds_no_test_module_and_no_check():
    """The probes import torch and Python's own modules alone (a checkpoint needs a temporary
    folder); the driver never loads a test, a helper or a check."""
    source = "\n".join((ROOT / "tests" / c.folder / "audit_probes.py").read_text(encoding="utf-8")
                       for c in course().chapters)
    imports = {line.split()[1] for line in source.splitlines() if line.lstrip().startswith(("import ", "from "))}
    assert imports - set(sys.stdlib_module_names) <= {"torch", "torch.nn", "torch.utils.data"}
    assert "audit_checks" not in Path(driver.__file__).read_text(encoding="utf-8")


@pytest.mark.parametrize("got, want, agree", [
    (1.0, 1.00001, True), (1.0, 1.1, False), ([1, 2], [1, 2, 3], False), (True, 1, False), (1, True, False),
    ({"a": [0.5]}, {"a": [0.5]}, True), ({"a": 1}, {"b": 1}, False), ("x", 1.0, False), (None, None, True),
])
def test_values_agree_only_when_they_match(got, want, agree):
    assert audit.close(got, want) is agree
