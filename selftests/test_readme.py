"""The README says what is true: its set-up commands are the ones CI runs, and its list of
exercises is the course's."""

import re

from conftest import ROOT, course

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", setup)


def test_setup_is_install_then_grader_then_test_suite():
    install, grade, test = _setup_commands()
    assert install.startswith("python -m pip install")
    assert grade == "python grader.py"
    assert test.startswith("python -m pytest")


def test_ci_runs_exactly_the_readme_commands():
    install, _, test = _setup_commands()
    commands = [line.strip() for line in CI.splitlines() if line.strip().startswith("python ")]
    assert commands == [install, test]


def test_exercise_table_lists_the_course_in_order():
    rows = re.findall(r"^\| (\d\d) \| `(\w+)` \|", README, flags=re.MULTILINE)
    assert rows == [(e.id, e.name) for e in course().exercises]
