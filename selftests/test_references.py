"""The kata is sound: every reference passes, every untouched stub is not started."""

from conftest import ROOT, chapter

from kata import stubs


def test_every_reference_solution_passes(graded_references):
    graded = graded_references["solutions"]
    assert graded["run"].returncode == 0, graded["run"].stdout
    statuses = {e["id"]: e["status"] for e in graded["json"]["exercises"]}
    assert statuses == {e.id: "pass" for e in chapter().exercises}
    assert graded["json"]["score"] == graded["json"]["max_score"] == chapter().max_score


def test_every_untouched_stub_is_not_started(graded_references):
    graded = graded_references["exercises"]
    assert graded["run"].returncode == 1
    statuses = {e["id"]: e["status"] for e in graded["json"]["exercises"]}
    assert statuses == {e.id: "not_started" for e in chapter().exercises}
    assert graded["json"]["score"] == 0


def test_every_test_of_a_stub_fails(graded_references):
    for exercise in graded_references["exercises"]["json"]["exercises"]:
        assert exercise["tests"], exercise["id"]
        assert all(t["status"] != "pass" for t in exercise["tests"]), exercise["id"]


def test_exercises_are_the_solutions_with_stubs():
    assert stubs.main([]) == 0, "run `python -m kata.stubs --write` after changing solutions/"
    for ex in chapter().exercises:
        text = (ROOT / "exercises" / ex.file).read_text(encoding="utf-8")
        assert text.count("raise NotImplementedError") == 1
        assert f"Exercise {ex.id} ({ex.name})" in text
