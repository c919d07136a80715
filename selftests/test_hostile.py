"""The hostile corpus: broken or hostile learner code never crashes the grader, never passes,
stays inside its own exercise, and is reported in words that say what happened.

Each case is a copy of the reference solutions with one function changed. The cases are
graded together in one batch (`grader.py grade ... --timeout 3`); each test reads its case's
report.json. A few cases need `grader.py check` itself and run on their own.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, copy_solutions, course, replace_function, run_grader
from test_mistakes import users_of

from kata.exercise_process import guard
from kata.grading.runner import Outcome
from kata.grading.target import Target
from kata.grading.verdict import judge
from kata.outcomes import Ended, Location

TIMEOUT = 3.0
# Seconds that only a hang reaches: a grader that waited for a process left behind (those sleep
# 300 s). How long an exercise takes depends on how busy the machine is, so no test asserts a
# tighter bound; what was stopped, and that nothing is left running, is asserted instead.
HANG = 120
# A limit for runs where nothing should be stopped: a busy machine does not reach it.
ROOMY = 60
CPU_BOUND = 2 * TIMEOUT + 10  # CPU seconds: the most an exercise may use, however busy the machine
MARKER = f"kata-hostile-{os.getpid()}"  # in the command line of every process a case starts



def sleeper(tag: str = "") -> str:
    """Code for the command line of a process that would outlive its exercise if the grader let
    it: it carries the marker (and `tag`), so the tests can look for survivors."""
    return f'[sys.executable, "-c", "import time; time.sleep(300)", "{MARKER}{tag}"]'



@dataclass(frozen=True)
class Case:
    """One way learner code goes wrong, put into the function `function`."""

    name: str
    function: str
    status: str  # the exercise's status
    words: tuple[str, ...]  # phrases its message must contain
    body: str = ""  # statements put first in the function's body
    module: str = ""  # or: statements put before the function, at module level
    at: int | None = None  # the message names this line (counted from the first one put in)
    change: Callable[[Path], None] | None = None  # or: another change to the file
    strict: bool = False  # only this function will do (the code uses its parameters)


def _not_utf8(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace("café".encode(), b"caf\xe9"))


CASES = [
    # --- broken code (issue point 1) ------------------------------------------------
    Case("syntax_error", "mse_loss", "error", ("Python could not read", "SyntaxError"),
         body="if y_pred is y\n    pass", at=0),
    Case("import_error", "predict", "error", ("No module named 'pytorch'",), module="import pytorch", at=0),
    Case("missing_file", "zero_grad", "error", ("is missing", "python grader.py reset 8"),
         change=lambda path: path.unlink()),
    Case("not_utf8", "init_params", "error", ("not valid UTF-8",),
         module='GREETING = "café"', change=_not_utf8, at=0),
    Case("infinite_loop", "gradients", "timeout", ("did not finish", f"still running after {TIMEOUT:g} s"),
         body="while True:\n    pass"),
    Case("long_c_call", "train", "timeout", ("did not finish", f"still running after {TIMEOUT:g} s"),
         body="sum(range(10**13))", at=0),
    Case("sleep_forever", "sum_of_squares_grads", "timeout", ("did not finish",),
         body="import time\ntime.sleep(10**6)", at=1),
    Case("sys_exit_at_import", "mse_loss", "error", ("sys.exit()",), module="import sys\nsys.exit(1)", at=1),
    Case("system_exit_in_function", "predict", "error", ("sys.exit()",), body="raise SystemExit(0)", at=0),
    Case("os_exit_in_function", "zero_grad", "error", ("os._exit()", "ended while running"),
         body="import os\nos._exit(0)", at=1),
    Case("os_exit_at_import", "init_params", "error", ("os._exit()", "ended while running"),
         module="import os\nos._exit(0)", at=1),
    Case("segmentation_fault", "sgd_step", "error", ("crashed", "segmentation fault"),
         body="import ctypes\nctypes.string_at(0)", at=1),
    Case("keyboard_interrupt", "train", "error", ("KeyboardInterrupt", "Ctrl-C"),
         body="raise KeyboardInterrupt", at=0),
    Case("runaway_recursion", "tracked", "fail", ("RecursionError", "kept calling itself"),
         body="def again(n):\n    return again(n + 1)\nreturn again(0)", at=1),
    Case("pytest_skip", "gradients", "error", ("pytest.skip()", "never counts as passed"),
         body="import pytest\npytest.skip('later')", at=1),
    Case("unittest_skiptest", "zero_grad", "error", ("unittest.SkipTest", "never counts as passed"),
         body="import unittest\nraise unittest.SkipTest('later')", at=1),
    Case("pytest_xfail", "predict", "error", ("pytest.xfail()", "never counts as passed"),
         body="import pytest\npytest.xfail('later')", at=1),
    Case("megabytes_of_output", "mse_loss", "fail", (),
         module="print('spam ' * 500_000)", body="return None"),
    Case("endless_output", "sgd_step", "timeout", ("did not finish",),
         body="while True:\n    print('spam ' * 1000)"),
    Case("child_process", "sum_of_squares_grads", "timeout", ("did not finish",),
         body=f"import subprocess, sys\nsubprocess.Popen({sleeper()}).wait()"),
    Case("child_in_new_session", "gradients", "fail", (),
         body=f"import subprocess, sys\nsubprocess.Popen({sleeper()}, start_new_session=True)\nreturn None"),
    Case("double_fork", "train", "fail", (),
         body=textwrap.dedent(f"""\
             import os, sys
             if os.fork() == 0:
                 if os.fork() == 0:
                     os.setsid()
                     os.execv(sys.executable, {sleeper()})
                 os._exit(0)
             return None""")),
    # --- tampering with what decides a pass (issue point 2) -------------------------
    Case("replaces_torch_allclose", "predict", "error", ("replaced part of PyTorch", "torch.allclose"),
         module="torch.allclose = lambda *a, **k: True", body="return None"),
    Case("replaces_assert_close", "mse_loss", "error", ("replaced part of PyTorch", "torch.testing.assert_close"),
         module="torch.testing.assert_close = lambda *a, **k: None", body="return None"),
    Case("replaces_torch_equal", "tracked", "error", ("replaced part of PyTorch", "torch.equal"),
         module="torch.equal = lambda *a, **k: True", body="return None"),
    Case("replaces_math_isclose", "init_params", "error", ("replaced part of PyTorch", "math.isclose"),
         module="import math\nmath.isclose = lambda *a, **k: True", body="return None"),
    Case("replaces_tensor_method", "sgd_step", "error", ("replaced part of PyTorch", "torch.Tensor.tolist"),
         module="torch.Tensor.tolist = lambda self: 0.0", body="return None"),
    Case("replaces_tensor_comparison", "zero_grad", "error", ("replaced part of PyTorch", "torch.Tensor.__eq__"),
         module="torch.Tensor.__eq__ = lambda self, other: True", body="return None"),
    Case("forges_test_reports", "gradients", "error", ("replaced part of PyTorch", "BaseReport.passed"),
         module="import _pytest.reports\n_pytest.reports.BaseReport.passed = property(lambda self: True)",
         body="return None"),
    Case("silences_failed_checks", "train", "error", ("replaced part of PyTorch", "pytest_check.get_failures"),
         module="import pytest_check.check_log as log\nlog.get_failures = lambda: []", body="return None"),
    # --- shortcuts (see kata/guard.py; the static check is tested case by case below) ---
    Case("torch_mse_in_mse_loss", "mse_loss", "fail",
         ("torch.nn.functional.mse_loss", "does not allow", "subtract, square, then .mean()"),
         body="return torch.nn.functional.mse_loss(y_pred, y)", at=0, strict=True),
    Case("torch_mse_found_at_run_time", "mse_loss", "fail", ("torch.nn.functional.mse_loss", "does not allow"),
         body="import importlib\nF = importlib.import_module('torch.nn.' + 'functional')\n"
              "return getattr(F, 'mse' + '_loss')(y_pred, y)", at=2, strict=True),
    Case("optimizer_in_sgd_step", "sgd_step", "fail", ("torch.optim", "does not allow", "no_grad"),
         body="torch.optim.SGD(list(params), lr=lr).step()\nreturn None", at=0, strict=True),
    Case("optimizer_found_at_run_time", "zero_grad", "fail", ("torch.optim", "does not allow"),
         body="getattr(torch, 'op' + 'tim').SGD(list(params), lr=0.1).zero_grad()\nreturn None",
         at=0, strict=True),
    Case("autograd_grad_at_run_time", "sum_of_squares_grads", "fail", ("torch.autograd.grad", "backward()"),
         body="a_t, b_t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)\n"
              "return getattr(torch.autograd, 'gr' + 'ad')(a_t**2 + b_t**2, (a_t, b_t))",
         at=1, strict=True),
    Case("torch_func_at_run_time", "gradients", "fail", ("torch.func", "backward()"),
         body="import importlib\ntf = importlib.import_module('torch.f' + 'unc')\n"
              "return tf.grad(f, argnums=tuple(range(len(values))))(*[torch.tensor(v) for v in values])",
         at=2, strict=True),
    Case("imports_the_solutions", "tracked", "fail", ("solutions", "your own"),
         body="import importlib\nreturn importlib.import_module('solu' + 'tions.ex01_tracked').tracked(value)",
         strict=True),
]


def has_tests(function: str) -> bool:
    return (ROOT / "tests" / course().find(function).test_path).exists()


def exercise_of(case: Case):
    """The exercise the case goes into: its own, or the first one with tests until its tests exist."""
    if has_tests(case.function) or case.strict:
        return course().find(case.function)
    return next(ex for ex in course().exercises if has_tests(ex.name))


def insert_code(path: Path, name: str, body: str = "", module: str = "") -> int:
    """Put `module` before the function `name` and `body` first in its body; the first new line."""
    if module and body:
        first = insert_code(path, name, module=module)
        insert_code(path, name, body=body)
        return first
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    func = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    if module:
        at, new = func.lineno - 1, module.splitlines()
    else:
        first = func.body[1] if ast.get_docstring(func) is not None else func.body[0]
        at = first.lineno - 1
        indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
        new = [indent + line if line else line for line in body.splitlines()]
    path.write_text("\n".join(lines[:at] + new + lines[at:]) + "\n", encoding="utf-8")
    return at + 1


def make_case(root: Path, case: Case) -> tuple[Path, int]:
    """A copy of the references with the case put in; (folder, first line put in)."""
    folder = copy_solutions(root / case.name)
    ex = exercise_of(case)
    path = folder / ex.path
    line = insert_code(path, ex.name, body=case.body, module=case.module) if case.body or case.module else 0
    if case.change:
        case.change(path)
    return folder, line


def survivors(marker: str = MARKER) -> list[str]:
    """Command lines of processes that a case started and that are still alive."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def assert_isolated(report: dict, exercise_id: str, status: str, words: list[str],
                    also_broken: tuple[str, ...] = ()) -> dict:
    """The exercise has `status` and every phrase in its message; every exercise with tests that
    uses neither it nor the exercises `also_broken` passed; none used more CPU time than its limit allows
    (time on the clock depends on the machine's load)."""
    graded = {e["id"]: e for e in report["exercises"]}
    result = graded[exercise_id]
    assert result["status"] == status, result["message"]
    assert result["score"] == 0
    missing = [w for w in words if w not in result["message"]]
    assert not missing, f"{missing} not in:\n{result['message']}"
    unrelated = {ex.id for ex in course().exercises if ex.id in graded and has_tests(ex.name)}
    for broken_id in (exercise_id, *also_broken):
        unrelated -= users_of(broken_id)
    broken = {i: graded[i]["message"] for i in unrelated if graded[i]["status"] != "pass"}
    assert not broken, broken
    slow = {e["id"]: e["cpu_seconds"] for e in report["exercises"] if e["cpu_seconds"] > CPU_BOUND}
    assert not slow, slow
    hung = {e["id"]: e["seconds"] for e in report["exercises"] if e["seconds"] > HANG}
    assert not hung, hung
    return result


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """Every case graded in one batch, on its chapter (all of them are in chapter 1): name ->
    (report, first line put in), and the batch's time."""
    chapter = course().chapters[0]
    assert all(course().chapter_of(exercise_of(case)) == chapter for case in CASES)
    root = tmp_path_factory.mktemp("hostile")
    made = {case.name: make_case(root / "cases", case) for case in CASES if has_tests(case.function) or not case.strict}
    out = root / "graded"
    run = run_grader("grade", *[str(folder) for folder, _ in made.values()], "--out", str(out),
                     "--timeout", str(TIMEOUT), "--chapter", str(chapter.number))
    assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
    reports = {name: json.loads((out / name / "report.json").read_text(encoding="utf-8")) for name in made}
    assert all([e["id"] for e in r["exercises"]] == [e.id for e in chapter.exercises] for r in reports.values())
    return {"reports": reports, "lines": {name: line for name, (_, line) in made.items()},
            "seconds": run.seconds, "survivors": survivors()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_is_isolated_and_reported(batch, case):
    if case.strict and not has_tests(case.function):
        pytest.skip(f"exercise {course().find(case.function).id} has no tests yet")
    ex = exercise_of(case)
    words = list(case.words)
    if case.at is not None:
        words.append(f"{ex.path}, line {batch['lines'][case.name] + case.at}")
    assert_isolated(batch["reports"][case.name], ex.id, case.status, words)


def test_printed_output_is_cut_with_a_note(batch):
    ex = exercise_of(next(c for c in CASES if c.name == "megabytes_of_output"))
    result = {e["id"]: e for e in batch["reports"]["megabytes_of_output"]["exercises"]}[ex.id]
    first = result["tests"][0]
    assert first["output"].startswith("spam spam")
    assert first["output_cut"] > 2_000_000
    assert len(first["output"]) < 600
    assert first["output"].endswith(f"[... {first['output_cut']} more bytes of output cut]")


def test_no_process_outlives_the_grader(batch):
    assert batch["survivors"] == []


# --- runs of `check` itself --------------------------------------------------------------


def _check(folder: Path, out: Path, *args: str, timeout: float = TIMEOUT):
    run = run_grader("check", "--target", str(folder), "--json", str(out), "--timeout", str(timeout), *args)
    return run, json.loads(out.read_text(encoding="utf-8"))


def test_a_check_with_stuck_crashed_and_exiting_exercises_ends_in_time(tmp_path):
    """tracked hangs with a process in a new session (so do the exercises built on it), sgd_step
    crashes, predict's file exits as it loads: the JSON is still written, the rest
    passes, nothing is left running, no exercise used more than 2 x (time limit) + 10 s of CPU
    time, and the check does not wait for the process left behind."""
    folder = copy_solutions(tmp_path / "crashes")
    stuck = insert_code(folder / course().find("tracked").path, "tracked",
                        body=f"import subprocess, sys\nsubprocess.Popen({sleeper()}, start_new_session=True)\n"
                             "while True:\n    pass")
    crash = insert_code(folder / course().find("sgd_step").path, "sgd_step", body="import ctypes\nctypes.string_at(0)")
    insert_code(folder / course().find("predict").path, "predict", module="import os\nos._exit(0)")
    # Chapter 1, where all of them are: training chapter 2's networks takes longer than this short
    # limit on a busy machine.
    run, report = _check(folder, tmp_path / "report.json", "--chapter", "1")
    assert run.returncode == 1 and run.stderr == ""
    assert run.seconds < HANG, run.seconds
    others = ("01", "06", "07")
    assert_isolated(report, "01", "timeout", ["did not finish", f"{course().find('01').path}, line"], others)
    assert {e["id"] for e in report["exercises"] if e["status"] == "timeout"} == {"01", "02", "03", "05"}
    assert_isolated(report, "07", "error", ["segmentation fault", f"{course().find('07').path}, line {crash + 1}"],
                    others)
    assert_isolated(report, "06", "error", ["os._exit()"], others)
    tracked = course().find("01").path
    shown = " ".join(run.stdout.split())  # a place may be wrapped at its spaces
    assert f"{tracked}, line {stuck + 2}" in shown or f"{tracked}, line {stuck + 3}" in shown
    assert survivors() == []


def test_files_planted_in_the_graded_folder_are_never_run(tmp_path):
    folder = copy_solutions(tmp_path / "planted")
    seen = tmp_path / "seen"
    seen.mkdir()
    (folder / "ch1_autograd" / "conftest.py").write_text(textwrap.dedent(f"""\
        import pathlib, pytest
        pathlib.Path({str(seen)!r}, "conftest").touch()

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            outcome = yield
            outcome.get_result().outcome = "passed"
        """))
    (folder / "ch1_autograd" / "test_ex02_sum_of_squares.py").write_text(textwrap.dedent(f"""\
        import pathlib
        pathlib.Path({str(seen)!r}, "test file").touch()

        def test_returns_the_tutorial_gradients():
            pass
        """))
    for place in (folder, folder / "ch1_autograd"):
        (place / "__init__.py").write_text(f"import pathlib\npathlib.Path({str(seen)!r}, 'package').touch()\n")
        (place / "pytest.ini").write_text("[pytest]\naddopts = -p planted_plugin\n")
    (folder / "conftest.py").write_text((folder / "ch1_autograd" / "conftest.py").read_text())
    insert_code(folder / course().find("gradients").path, "gradients", body="return None")
    two = folder / course().find("sum_of_squares_grads").path
    insert_code(two, "sum_of_squares_grads", module="print('spam ' * 200_000)", body="return None")
    run, report = _check(folder, tmp_path / "report.json", timeout=ROOMY)
    assert run.returncode == 1 and run.stderr == ""
    assert_isolated(report, "02", "fail", ["got:"], ("03",))
    assert_isolated(report, "03", "fail", ["got:"], ("02",))
    assert sorted(p.name for p in seen.iterdir()) == []
    # The report shows the first failure of 02 with what it printed, cut short.
    assert "Your code printed:" in run.stdout and "more bytes of output cut]" in run.stdout
    assert len(run.stdout) < 10_000


def test_the_fresh_process_fallback_is_as_strict(tmp_path):
    """--isolation spawn (a fresh Python per exercise, the fallback where there is no fork):
    the same verdicts as with fork, and as each exercise ends no process it started is left.
    (With fork, the batch and the check above show that none outlives the grader.)"""
    folder = copy_solutions(tmp_path / "graded")
    loop = insert_code(folder / course().find("sum_of_squares_grads").path, "sum_of_squares_grads",
                       body=f"import subprocess, sys\nsubprocess.Popen({sleeper('-02')}, start_new_session=True)\n"
                            "while True:\n    pass")
    crash = insert_code(folder / course().find("gradients").path, "gradients",
                        body="import ctypes\nctypes.string_at(0)")
    script = textwrap.dedent(f"""\
        import json, sys
        from pathlib import Path
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from kata.catalogue.course import course
        from kata.feedback.json_report import run_json
        from kata.grading.engine import grade
        from kata.grading.target import folder_target
        from test_hostile import survivors

        alive = {{}}
        def ended(_, result):
            alive[result.exercise.id] = survivors({MARKER!r} + "-" + result.exercise.id)

        run = grade([folder_target(Path({str(folder)!r}))], [course().find(k) for k in ("01", "02", "03")],
                    timeout={TIMEOUT}, isolation="spawn", on_result=ended)[0]
        print(json.dumps({{"report": run_json(run), "alive": alive}}))
        """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.splitlines()[-1])
    graded = {e["id"]: e for e in data["report"]["exercises"]}
    assert graded["01"]["status"] == "pass"
    assert graded["02"]["status"] == "timeout"
    assert any(f"{course().find('02').path}, line {loop + k}" in graded["02"]["message"] for k in (2, 3))
    assert graded["03"]["status"] == "error" and "segmentation fault" in graded["03"]["message"]
    assert f"{course().find('03').path}, line {crash + 1}" in graded["03"]["message"]
    assert all(e["seconds"] < HANG for e in graded.values())
    assert data["alive"] == {"01": [], "02": [], "03": []}
    assert survivors() == []


# --- the static check for shortcuts, every forbidden name of every exercise ---------------

FORBIDDEN = [(ex, banned) for ex in course().exercises for banned in (*ex.forbidden, *guard.ALWAYS_FORBIDDEN)]


def _uses(banned: str) -> list[str]:
    """Two ways a learner's file can name `banned`: a dotted attribute, and an import."""
    module, _, attr = banned.rpartition(".")
    if not module:
        return [f"import {banned}", f"from {banned} import anything"]
    return [f"import torch\n\nresult = {banned}", f"from {module} import {attr} as shortcut"]


@pytest.mark.parametrize(("ex", "banned"), FORBIDDEN, ids=lambda x: getattr(x, "id", x))
def test_every_forbidden_name_is_refused_with_its_reason(tmp_path, ex, banned):
    for use in _uses(banned):
        path = tmp_path / ex.file
        path.write_text(f'"""The learner file."""\n{use}\n', encoding="utf-8")
        with pytest.raises(guard.ShortcutError) as caught:
            guard.check_source(ex, path)
        message = str(caught.value)
        why = guard.SOLUTIONS_WHY if banned == "solutions" else course().why[banned]
        for words in (banned, f"exercise {ex.id} ({ex.name})", why):
            assert words in message, (use, message)
        assert caught.value.location == Location(ex.file, use.count("\n") + 2)


def test_the_references_use_no_shortcut():
    for ex in course().exercises:
        guard.check_source(ex, ROOT / "solutions" / ex.path)


def test_the_tripwire_names_each_replaced_removed_or_added_name(monkeypatch):
    """Every change since the note, however it was made; an added module, or a name removed and
    put back as it was, is none."""

    def first(): ...

    def second(): ...

    ex = course().find("mse_loss")
    tests = Path(ex.test_path).stem  # the module of the exercise's tests
    space = {"a": first, "b": second, "c": 3, "d": first}
    own, other = {"check": first}, {"check": first}  # this exercise's test module, and another's
    monkeypatch.setattr(guard, "watched_namespaces", lambda: [
        ("space", space, None), (tests, own, None), ("test_ex99_other", other, None)])
    wire = guard.Tripwire(ex)
    assert wire.changes() == []
    space["b"] = first  # replaced by another object that is already there
    assert wire.changes() == ["space.b"]
    own["check"] = other["check"] = second  # the other test module never runs in this process
    assert wire.changes() == ["space.b", f"{tests}.check"]
    own["check"] = first
    space["b"] = second
    value = space.pop("a")
    space["a"] = value  # the same names and values, in another order
    space["fx"] = types.ModuleType("fx")
    assert wire.changes() == []
    del space["fx"]
    wire = guard.Tripwire(ex)  # a note of b, c, d, a
    for name in ("d", "a"):  # the last names renamed, their values kept in order
        space[name.upper()] = space.pop(name)
    assert sorted(wire.changes()) == ["space.A", "space.D", "space.a", "space.d"]


def test_the_tripwire_watches_only_the_named_functions_of_a_library_that_keeps_state(monkeypatch):
    """pytest-check reassigns its own module globals between tests: that is no tampering, while
    replacing one of its functions is."""

    def log_failure(): ...

    def get_failures(): ...

    library = {"log_failure": log_failure, "get_failures": get_failures, "_failures": [], "_max_tb": 1}
    monkeypatch.setattr(guard, "watched_namespaces", lambda: [("lib", library, ("log_failure", "get_failures"))])
    wire = guard.Tripwire(course().find("mse_loss"))
    library["_failures"], library["_max_tb"], library["_new_state"] = [], 0, 2
    assert wire.changes() == []
    library["get_failures"] = lambda: []
    del library["log_failure"]
    assert sorted(wire.changes()) == ["lib.get_failures", "lib.log_failure"]


def test_the_tripwire_leaves_pytest_checks_bookkeeping_to_it():
    """What the tripwire watches of pytest-check are its functions, whatever globals the installed
    version keeps and reassigns."""
    import pytest_check.check_log as check_log

    from kata import pytest_internals

    label, module, names = next(w for w in pytest_internals.watched() if w[0] == "pytest_check")
    assert module is check_log and "get_failures" in names and "log_failure" in names
    assert all(callable(getattr(check_log, name)) for name in names)


def test_only_one_module_of_the_grader_reaches_into_pytests_internals():
    """A new pytest or pytest-check may move what is not their documented API: it is all in
    kata/pytest_internals.py, which .ci/compat tries with the lowest and the newest versions."""
    private = ("_pytest", "pytest_check")
    reaching = set()
    for path in (ROOT / "kata").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            if any(n == p or n.startswith(p + ".") for n in names for p in private):
                reaching.add(path.relative_to(ROOT).as_posix())
    assert reaching == {"kata/pytest_internals.py"}


def test_a_process_that_ends_before_any_test_is_not_blamed_on_the_learner():
    """No learner code runs before the first test starts: such an end is the grader's fault."""
    ex = course().find("04")
    target = Target("submission", {ex.folder: Path("submission")})
    ended = Outcome(records=[], running=None, ended=Ended.EXIT, detail="the process exited with status 1")
    result = judge(ex, ["test_one", "test_two"], ended, target)
    assert result.status == "error" and result.score == 0
    assert "not caused by your code" in result.message and "Reporting a problem" in result.message
    crashed = Outcome(records=[], running="test_one", ended=Ended.EXIT, detail="the process exited with status 0")
    assert "Your code probably called os._exit()" in judge(ex, ["test_one"], crashed, target).message


def test_a_short_print_shows_with_the_test_that_made_it(tmp_path):
    # Run as a learner runs it: print() buffered (run_grader leaves PYTHONUNBUFFERED out).
    folder = copy_solutions(tmp_path / "target")
    replace_function(folder, "mse_loss", (
        "def mse_loss(y_pred, y):\n"
        "    print('shape of y_pred:', tuple(y_pred.shape))\n"
        "    return ((y_pred - y) ** 2).sum()\n"
    ))
    out = tmp_path / "report.json"
    run = run_grader("check", "mse_loss", "--target", str(folder), "--json", str(out))
    assert run.returncode == 1
    tests = json.loads(out.read_text())["exercises"][0]["tests"]
    assert tests and all(t["output"].startswith("shape of y_pred: (") for t in tests)
    assert "Your code printed:\n      shape of y_pred: (" in run.stdout


def test_a_correct_exercise_that_prints_20_mb_passes(tmp_path):
    """Printing is cut for the report, never judged: only the tests and the time limit decide."""
    folder = copy_solutions(tmp_path / "target")
    insert_code(folder / course().find("predict").path, "predict", body="print('x' * 20_000_000)")
    out = tmp_path / "report.json"
    run = run_grader("check", "predict", "--target", str(folder), "--json", str(out))
    assert run.returncode == 0, run.stdout
    [graded] = json.loads(out.read_text())["exercises"]
    assert graded["status"] == "pass"
    assert all(t["output_cut"] >= 20_000_000 - 500 for t in graded["tests"])


def test_each_test_keeps_exactly_the_printing_it_made(tmp_path):
    """Printing and reports come through two pipes; each test still gets its own lines, in order."""
    folder = copy_solutions(tmp_path / "target")
    replace_function(folder, "mse_loss", (
        "import itertools\n_calls = itertools.count(1)\n\n\n"
        "def mse_loss(y_pred, y):\n"
        "    print('call', next(_calls))\n"
        "    return ((y_pred - y) ** 2).sum()\n"
    ))
    out = tmp_path / "report.json"
    run_grader("check", "mse_loss", "--target", str(folder), "--json", str(out))
    tests = json.loads(out.read_text())["exercises"][0]["tests"]
    calls = [[int(line.split()[1]) for line in t["output"].splitlines() if line.startswith("call ")] for t in tests]
    flat = [n for per_test in calls for n in per_test]
    assert flat == list(range(1, len(flat) + 1)) and all(calls[:-1]), calls
