"""The learner's report points at the cause: an exercise that fails because an earlier one it
uses fails says so, and the report's next step is the earlier one; a classifier's boundary
is drawn beside a correct one."""

import json

from conftest import replace_function, run_grader

from kata.feedback.pictures import boundary

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


LINEAR_MLP = '''
class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
'''


def test_a_linear_model_shows_a_straight_boundary_beside_a_curved_one(solved):
    replace_function(solved, "MLP", LINEAR_MLP)
    # The runs that find whose fault it is take a few seconds of CPU, and far longer on a busy
    # machine: a limit it does not reach, so that the picture shows (the limit is not the point).
    run = run_grader("check", "21", "--target", str(solved), "--timeout", "200")
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    [title] = [n for n, line in enumerate(lines) if "your model:" in line]
    assert "of new moons right" in lines[title] and "a correct boundary: 99.8%" in lines[title]
    grid = [line.strip() for line in lines[title + 2: title + 14]]
    yours = [row[1:35] for row in grid]
    correct = [row[-35:-1] for row in grid]
    # A line: in every row, the model's class 0 (·) is one stretch from the left edge on.
    assert all(row.lstrip("·●○").strip(" ○●") == "" for row in yours), "\n".join(yours)
    assert any("·" in row.lstrip("·●○") for row in correct), "\n".join(correct)  # a curve: 0 again after 1
    assert "● upper moon (class 0)" in lines[title + 15]


def test_the_two_boundaries_are_stacked_where_they_do_not_fit_side_by_side():
    data = {"cols": 4, "rows": 2, "box": [0.0, 1.0, 0.0, 1.0], "yours": ["0011", "0011"],
            "correct": ["0001", "0011"], "points": [[0.1, 0.9, 0]], "accuracy": 0.5, "correct_accuracy": 1.0}
    wide, narrow = boundary(data, True, 80), boundary(data, True, 12)
    assert len(wide) == 6 and wide[2] == "│●·  │   │●·· │"
    assert narrow[1:5] == ["┌────┐", "│●·  │", "│··  │", "└────┘"] and narrow[8] == "│●·· │"
    assert max(len(line) for line in narrow[:-1]) <= 12
