"""The learner's report points at the cause: an exercise that fails because an earlier one it
uses fails says so, and the report's next step is the earlier one; a classifier's boundary
is drawn beside a correct one; a digit reader's confusions and misread digits are drawn.
Milestones come when they happen: a chapter's closing text as soon as it is complete, and the
next exercise after a check that passes."""

import json
import re
import shutil

from conftest import ROOT, copy_kata, course, replace_function, run_grader

from kata.feedback.pictures import boundary, digits

BROKEN_SGD_STEP = '''
def sgd_step(params, lr):
    for p in params:
        p = p - lr * p.grad
'''


def test_a_failure_caused_by_an_earlier_exercise_names_it(solved, tmp_path):
    replace_function(solved, "sgd_step", BROKEN_SGD_STEP)
    out = tmp_path / "result.json"
    run = run_grader("check", "--chapter", "1", "--target", str(solved), "--json", str(out), "-v")
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
    assert "a correct boundary:" in lines[title]
    assert "% of new moons right" in lines[title + 1] and "99.8% of new moons right" in lines[title + 1]
    title += 1
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
    top = wide.index("┌────┐   ┌────┐")
    assert len(wide) == top + 5 and wide[top + 1] == "│●·  │   │●·· │"
    first, second = narrow.index("┌────┐"), len(narrow) - 1 - narrow[::-1].index("┌────┐")
    assert narrow[first:first + 4] == ["┌────┐", "│●·  │", "│··  │", "└────┘"] and narrow[second + 1] == "│●·· │"
    assert max(len(line) for line in narrow[:-1]) <= 12
    # The titles go on over more lines rather than being cut.
    assert "".join(narrow[:first]).replace(" ", "") == "yourmodel:50.0%ofnewmoonsright"


def _solve(kata, exercises) -> None:
    for ex in exercises:
        shutil.copy2(ROOT / "solutions" / ex.path, kata / "exercises" / ex.path)


def test_chapter_1_closes_as_soon_as_exercise_09_passes_and_only_once(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    chapter = course().chapters[0]
    _solve(kata, chapter.exercises[:-1])
    before = run_grader("check", "--chapter", "1", kata=kata, cwd=kata)
    assert before.returncode == 1 and "Chapter 1 complete" not in before.stdout
    _solve(kata, chapter.exercises[-1:])
    done = run_grader("check", chapter.exercises[-1].id, kata=kata, cwd=kata)  # the last one alone, as its file says
    assert done.returncode == 0 and done.stderr == ""
    assert "Chapter 1 complete" in done.stdout and chapter.finished.split()[:6] == done.stdout.split(
        "Well done!")[1].split()[:6]
    nxt = course().exercises[len(chapter.exercises)]
    assert f"Next: exercise {nxt.id}, {nxt.name}" in done.stdout and f"python grader.py check {nxt.number}`" in done.stdout
    whole = run_grader("check", kata=kata, cwd=kata)  # chapter 2 untouched: the text was shown already
    assert whole.returncode == 1 and "Chapter 1 complete" not in whole.stdout
    (kata / "exercises" / chapter.exercises[0].path).write_text("def tracked(value):\n    return value\n")
    broken = run_grader("check", "--chapter", "1", kata=kata, cwd=kata)
    assert broken.returncode == 1 and "Chapter 1 complete" not in broken.stdout


def test_verbose_on_a_half_done_course_shows_failures_in_full_and_untouched_exercises_in_a_line(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    _solve(kata, course().chapters[0].exercises)
    replace_function(kata / "exercises", "SGD", REBINDING_SGD)
    run = run_grader("check", "-v", kata=kata, cwd=kata)
    assert run.returncode == 1 and run.stderr == ""
    lines = run.stdout.splitlines()
    untouched = [ex for ex in course().chapters[1].exercises if ex.name != "SGD"]
    for ex in untouched:
        [line] = [line for line in lines if line.startswith(f"{ex.id} {ex.name}:")]
        assert line == f"{ex.id} {ex.name}: not started (exercises/{ex.path})"
    assert "read the docstring, and replace the stub" not in run.stdout
    assert "12 SGD: failed" in lines
    for test in ("test_step_moves_every_parameter_like_torch_optim_sgd", "test_step_skips_parameters_without_gradient",
                 "test_params_can_be_a_generator_read_once"):
        assert f"  {test}" in lines
    # Only what each test's own evidence shows: no parameter moved, and the code keeps a list.
    assert "did not change" in run.stdout and "the loop stopped" not in run.stdout and "generator, which" not in run.stdout
    assert len(lines) < 2 * len(course().exercises) + 50, run.stdout  # two lines an exercise, and the failure


REBINDING_SGD = '''
class SGD:
    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("no parameters")
        self.lr = lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p = p - self.lr * p.grad

    def zero_grad(self):
        for p in self.params:
            p.grad = None
'''


def test_a_passing_classifier_is_drawn_beside_a_correct_one(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    run = run_grader("check", "21", "--target", "solutions", kata=kata, cwd=kata)
    assert run.returncode == 0 and run.stderr == ""
    lines = run.stdout.splitlines()
    [title] = [n for n, line in enumerate(lines) if "Exercise 21 passes: your network's decision boundary" in line]
    assert "your model:" in lines[title + 1] and "a correct boundary:" in lines[title + 1]
    assert "of new moons right" in lines[title + 2] and lines[title + 3].strip().startswith("┌")


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
