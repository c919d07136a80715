"""An exercise's time limit counts the work its code does, not the clock: beside other busy
processes, code that needs less CPU time than the limit gets its real verdict, and an endless
loop is still stopped. The tests assert verdicts only, never how long anything took."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_solutions, course, run_grader
from test_hostile import insert_code

# Two processes doing matrix products without end: on a small machine, each exercise then
# gets a fraction of a core, and its wall-clock time grows well past its CPU time.
LOAD = ("import sys, torch\ntorch.set_num_threads(1)\na = torch.randn(300, 300)\n"
        "print('busy', flush=True)\nwhile True:\n    a = (a @ a).tanh()")
# About 2.5 s of CPU time as the learner's module loads; the exercise is otherwise correct.
HEAVY = "import time as _time\n_start = _time.process_time()\nwhile _time.process_time() - _start < 2.5:\n    pass"


@pytest.fixture
def load():
    procs = [subprocess.Popen([sys.executable, "-c", LOAD], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for p in procs:
            assert p.stdout.readline() == "busy\n"
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def test_work_within_the_limit_gets_its_verdict_beside_a_load_and_an_endless_loop_does_not(tmp_path, load):
    folder = copy_solutions(tmp_path / "busy")
    heavy, endless = course().find("mse_loss"), course().find("predict")
    insert_code(folder / heavy.path, heavy.name, module=HEAVY)
    insert_code(folder / endless.path, endless.name, body="while True:\n    pass")
    out = tmp_path / "report.json"
    run = run_grader("check", heavy.id, endless.id, "--target", str(folder), "--timeout", "4",
                     "--json", str(out))
    assert run.stderr == "", run.stderr
    graded = {e["id"]: e for e in json.loads(Path(out).read_text(encoding="utf-8"))["exercises"]}
    assert graded[heavy.id]["status"] == "pass", graded[heavy.id]["message"]
    assert graded[endless.id]["status"] == "timeout", graded[endless.id]["message"]
    assert "still running after 4 s of CPU time" in graded[endless.id]["message"]
