"""The README says what is true: a learner's set-up is one install and the grader, the maintainers'
set-up is what CI runs, and its list of exercises is the course's."""

import re

from conftest import ROOT, course

README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _commands(section: str) -> list[str]:
    """The one-line commands in the README's section `section`, in order."""
    text = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", text)


def test_a_learner_installs_the_kata_alone_then_runs_the_grader():
    assert _commands("Set up") == ["python -m pip install -e .", "python grader.py"]


def test_the_maintainers_install_the_extras_then_run_the_suite():
    install, test = _commands("Maintainers")
    assert install == 'python -m pip install -e ".[dev]"'
    assert test.startswith("python -m pytest")


def test_ci_runs_exactly_the_maintainers_commands():
    commands = [line.strip() for line in CI.splitlines() if line.strip().startswith("python ")]
    assert commands == _commands("Maintainers")


def test_exercise_table_lists_the_course_in_order():
    rows = re.findall(r"^\| (\d\d) \| `(\w+)` \|", README, flags=re.MULTILINE)
    assert rows == [(e.id, e.name) for e in course().exercises]
