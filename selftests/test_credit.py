"""Partial credit: where course.toml gives an exercise's points to its tests, `check`, `grade`,
Gradescope's results.json and grades.csv give a submission the points of the tests it passes;
the GitHub Classroom workflow, which scores a whole exercise per step, is refused."""

from __future__ import annotations

import csv
import json
import re

import pytest
from conftest import ROOT, copy_kata, copy_solutions, course, replace_function, run_grader

from kata.catalogue.course import parse
from kata.course.classroom import point_problems

MSE = course().find("mse_loss")
# Exercise 04 is worth 2 points; three of its four tests share them, the fourth carries none.
TEST_POINTS = ('test_points = { test_tutorial_targets_with_zero_predictions_give_30 = 1, '
               'test_mean_of_squared_differences_for_any_shape = 0.5, '
               'test_different_shapes_raise_value_error_naming_both = 0.5 }')
# Right on every shape, but never compares the shapes: passes two of the three pointed tests.
NO_SHAPE_CHECK = '''
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_pred - y) ** 2).mean()
'''


def _with_test_points(text: str, line: str = TEST_POINTS) -> str:
    changed, found = re.subn(r'(id = "04"\n(?:.*\n)*?points = \d+\n)', rf"\g<1>{line}\n", text, count=1)
    assert found == 1
    return changed


@pytest.fixture(scope="module")
def partial(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("credit")
    kata = copy_kata(work / "kata")
    metadata = kata / "kata" / "catalogue" / "course.toml"
    metadata.write_text(_with_test_points(metadata.read_text(encoding="utf-8")), encoding="utf-8")
    sub = work / "sub"
    sub.mkdir()
    copy_solutions(sub / "alice")
    replace_function(sub / "alice", "mse_loss", NO_SHAPE_CHECK)
    checked = run_grader("check", "4", "--target", str(sub / "alice"), "--json", str(work / "check.json"),
                         "--timeout", "60", kata=kata, cwd=kata)
    graded = run_grader("grade", str(sub / "alice"), "--out", str(work / "out"), "--chapter", "1", "--timeout", "60",
                        kata=kata, cwd=kata)
    released = run_grader("release", str(work / "release"), kata=kata, cwd=kata)
    return {"work": work, "check": checked, "grade": graded, "release": released}


def test_check_gives_the_points_of_the_tests_that_pass(partial):
    assert partial["check"].returncode == 1, partial["check"].stderr
    report = json.loads((partial["work"] / "check.json").read_text(encoding="utf-8"))
    ex = report["exercises"][0]
    assert ex["status"] == "fail" and ex["score"] == 1.5 and ex["max_score"] == 2.0
    assert {c["test"]: c["score"] for c in ex["credit"]} == {
        "test_tutorial_targets_with_zero_predictions_give_30": 1.0,
        "test_mean_of_squared_differences_for_any_shape": 0.5,
        "test_different_shapes_raise_value_error_naming_both": 0.0}
    assert "1.5/2" in partial["check"].stdout.replace(" ", "")


def test_grade_results_and_grades_csv_follow_the_test_points(partial):
    assert partial["grade"].returncode == 0, partial["grade"].stderr
    out = partial["work"] / "out"
    row = next(csv.DictReader((out / "grades.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert row["ex04"] == "1.5"
    assert float(row["total"]) == sum(e.points for e in course().chapters[0].exercises) - 0.5
    results = json.loads((out / "alice" / "results.json").read_text(encoding="utf-8"))
    mine = [t for t in results["tests"] if t["name"].startswith("04 ")]
    assert [(t["score"], t["max_score"], t["status"]) for t in mine] == [
        (1.0, 1.0, "passed"), (0.5, 0.5, "passed"), (0.0, 0.5, "failed")]
    assert "test_different_shapes_raise_value_error_naming_both" in mine[2]["name"]
    assert "no error" in mine[0]["output"]  # the exercise's feedback goes with its first entry
    assert results["score"] == float(row["total"])
    report = json.loads((out / "alice" / "report.json").read_text(encoding="utf-8"))
    assert next(e for e in report["exercises"] if e["id"] == "04")["score"] == 1.5


def test_classroom_is_refused_with_one_clear_line(partial):
    released = partial["release"]
    assert released.returncode == 2 and released.stdout == ""
    assert len(released.stderr.strip().splitlines()) == 1
    assert ("exercise 04 (mse_loss) gives 0.5 points to test_mean_of_squared_differences_for_any_shape, but "
            "GitHub Classroom counts whole points only") in released.stderr


def test_whole_test_points_are_refused_too_since_a_step_grades_a_whole_exercise():
    text = _with_test_points((ROOT / "kata" / "catalogue" / "course.toml").read_text(encoding="utf-8"),
                             'test_points = { test_tutorial_targets_with_zero_predictions_give_30 = 2 }')
    problems = point_problems(list(parse(text).chapters))
    assert len(problems) == 1 and "gives its points to its tests (test_points)" in problems[0]


def test_test_points_must_add_up_to_the_exercise_points():
    text = _with_test_points((ROOT / "kata" / "catalogue" / "course.toml").read_text(encoding="utf-8"),
                             'test_points = { test_tutorial_targets_with_zero_predictions_give_30 = 1 }')
    with pytest.raises(ValueError, match="add up to 1, but the exercise is worth 2 points"):
        parse(text)


def test_course_test_points_name_real_tests():
    for ex in course().exercises:
        source = (ROOT / "tests" / ex.test_path).read_text(encoding="utf-8")
        for name, _ in ex.test_points:
            assert f"def {name}(" in source, f"exercise {ex.id}: test_points names {name}, which is not a test"
