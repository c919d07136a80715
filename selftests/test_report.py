"""The learner's report points at the cause: an exercise that fails because an earlier one it
uses fails says so, and the report's next step is the earlier one."""

import json

from conftest import replace_function, run_grader

BROKEN_SGD_STEP = '''
def sgd_step(params, lr):
    for p in params:
        p = p - lr * p.grad
'''


def test_a_failure_caused_by_an_earlier_exercise_names_it(solved, tmp_path):
    replace_function(solved, "sgd_step", BROKEN_SGD_STEP)
    out = tmp_path / "result.json"
    run = run_grader("check", "--target", str(solved), "--json", str(out), "-v")
    assert run.returncode == 1
    exercises = {e["name"]: e for e in json.loads(out.read_text())["exercises"]}
    assert exercises["sgd_step"]["status"] == "fail"
    assert exercises["train"]["waiting_for"] == ["07"]
    assert not exercises["sgd_step"]["message"].startswith("Note:")
    assert exercises["train"]["status"] == "fail"
    assert exercises["train"]["message"].startswith(
        "Note: train uses your sgd_step (exercise 07), which does not pass yet. Fix exercise 07 first")
    assert exercises["zero_grad"]["status"] == "pass"
    assert "Note: train uses your sgd_step (exercise 07)" in run.stdout
    assert "Next: exercise 07, sgd_step" in run.stdout
