"""The learner's report points at the cause: an exercise that fails because an earlier one it
uses fails says so, and the report's next step is the earlier one; a classifier's boundary
is drawn beside a correct one; a digit reader's confusions and misread digits are drawn."""

import json
import re

from conftest import replace_function, run_grader

from kata.feedback.pictures import boundary, digits

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
    run = run_grader("check", "21", "--target", str(solved))
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


def test_a_passing_finale_shows_its_confusion_matrix_and_misread_digits(solved):
    run = run_grader("check", "33", "--target", str(solved))
    assert run.returncode == 0, run.stdout
    lines = run.stdout.splitlines()
    [title] = [n for n, line in enumerate(lines) if "confusion matrix, rows: the truth" in line]
    assert "of the digits it never saw right" in lines[title - 1]
    assert [int(c) for c in lines[title + 1].split()] == list(range(10))
    assert any(re.search(r"yours: \d, truth: \d", line) for line in lines[title + 12:])


def test_misread_digits_are_drawn_side_by_side_as_far_as_the_width_allows():
    stroke = {"pixels": [16] * 8 + [0] * 48 + [8] * 8, "yours": 1, "truth": 7}
    data = {"accuracy": 0.5, "matrix": [[1, 0], [1, 0]], "wrong": [stroke] * 3}
    wide, narrow = digits(data, True, 80), digits(data, False, 20)
    assert wide[2:5] == ["          0   1", "    0     1   ·", "    1     1   ·"]
    [caption] = [n for n, line in enumerate(wide) if "yours: 1, truth: 7" in line]
    assert wide[caption].count("yours: 1, truth: 7") == 3
    assert wide[caption + 1] == "    ".join(["█" * 16] * 3) and wide[caption + 8] == "    ".join(["▒" * 16] * 3)
    assert sum(line == "yours: 1, truth: 7" for line in narrow) == 3
    assert narrow.count("@" * 16) == 3 and max(map(len, narrow[7:])) <= 20
