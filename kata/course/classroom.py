"""The GitHub Classroom workflow: every push of a student's repository is graded with the grader,
one step per exercise, each worth the exercise's points. `python -m kata.dev update` refreshes
.github/classroom/classroom.yml for the whole course; a release writes that of its chapters.

Classroom's command grader gives a step its `max-score` when the command exits with status 0
within `timeout` minutes (`python grader.py check N` does exactly when exercise N passes), and
nothing otherwise; what the command prints is not judged. It reads `max-score` with
JavaScript's parseInt, so it counts whole points only.
"""

from __future__ import annotations

from .. import ROOT, UsageError
from ..catalogue.course import Chapter

READY_FILE = ROOT / ".github" / "classroom" / "classroom.yml"
# Where the workflow goes in a student repository (a release writes it there).
WORKFLOW_PATH = ".github/workflows/classroom.yml"

HEAD = """\
# Grades every push with the kata's grader and reports the points to GitHub Classroom.
# Made by the kata (kata/course/classroom.py); a student release has it at {path}.
name: Autograding Tests
'on':
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v7
      - name: Set up Python
        uses: actions/setup-python@v7
        with:
          python-version: "3.12"
      - name: Install the kata
        # PyTorch's CPU build: the kata needs no GPU, and it is a far smaller download.
        run: |
          python -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
          python -m pip install --quiet -e .
"""

STEP = """\
      - name: {e.id} {e.name}
        id: ex{e.id}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: {e.id} {e.name}
          command: python grader.py check {e.id}
          timeout: 5
          max-score: {e.points:g}
"""

REPORTER = """\
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}
        with:
          runners: {runners}
"""


def point_problems(chapters: list[Chapter]) -> list[str]:
    """Why the workflow cannot give some exercises of `chapters` their points, one sentence each."""
    problems = []
    for e in (e for c in chapters for e in c.exercises):
        halves = [(name, p) for name, p in e.test_points if p != int(p)]
        if e.points != int(e.points):
            problems.append(f"exercise {e.label} is worth {e.points:g} points, but GitHub Classroom counts whole "
                            f"points only (it would give {int(e.points)}): give it whole points in "
                            "kata/catalogue/course.toml")
        elif halves:
            problems.append(f"exercise {e.label} gives {halves[0][1]:g} points to {halves[0][0]}, but GitHub "
                            "Classroom counts whole points only: give its tests whole points in test_points in "
                            "kata/catalogue/course.toml")
        elif e.partial:
            problems.append(f"exercise {e.label} gives its points to its tests (test_points), but the workflow "
                            "grades each exercise in one step, all or nothing: leave out its test_points in "
                            "kata/catalogue/course.toml for GitHub Classroom")
    return problems


def workflow_text(chapters: list[Chapter]) -> str:
    """The workflow that grades `chapters`; UsageError when Classroom cannot count their points."""
    problems = point_problems(chapters)
    if problems:
        raise UsageError(f"cannot write the GitHub Classroom workflow: {problems[0]}")
    exercises = [e for c in chapters for e in c.exercises]
    env = "\n".join(f'          EX{e.id}_RESULTS: "${{{{steps.ex{e.id}.outputs.result}}}}"' for e in exercises)
    return (HEAD.format(path=WORKFLOW_PATH) + "".join(STEP.format(e=e) for e in exercises)
            + REPORTER.format(env=env, runners=",".join(f"ex{e.id}" for e in exercises)))
