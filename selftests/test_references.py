"""The kata is sound: every reference passes, every untouched stub is not started, and the
maintainers' check finds the metadata and the files in agreement."""

from conftest import ROOT, course

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
