"""Whole reports of a few representative mistakes, kept in selftests/golden/, so that a change
of wording, layout or diagnosis shows in review as a diff of what the learner reads.

Each case grades a copy of the reference solutions with one mistake of the catalogue
(selftests/mistakes*.toml) put in. After a deliberate change, write the reports anew and
read the diff before committing it:

    python -m pytest selftests/test_golden.py --update-golden
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_solutions, course, replace_function, run_grader
from test_mistakes import CATALOGUE

GOLDEN = Path(__file__).parent / "golden"

# (the mistake's function, its id in the catalogue, options of `check` besides the exercise)
CASES = [
    ("sum_of_squares_grads", "forgets-backward", []),
    ("mse_loss", "sum-for-mean", []),
    ("SGD", "rebinds", ["-v"]),
    ("relu", "torch-max-along-a-dimension", []),
    ("two_moons", "arcs-swapped", ["-v"]),
]


def _name(case: tuple) -> str:
    return f"{case[0]}--{case[1]}"


def _without_changed_files_note(report: str) -> str:
    """The report less the note on the kata's files that differ from the manifest, which says
    where the kata stands in a working copy, not what the learner is told about the mistake."""
    return re.sub(r"\nNote: These files differ from the kata's originals.*?\n\n", "\n", report, flags=re.S)


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_report_is_as_kept(case, tmp_path, request):
    function, mistake_id, options = case
    [mistake] = [m for m in CATALOGUE if m["function"] == function and m["id"] == mistake_id]
    folder = copy_solutions(tmp_path / "submission")
    replace_function(folder, function, mistake["code"])
    exercise = course().named(function)
    run = run_grader("check", exercise.id, "--target", "submission", *options, cwd=tmp_path,
                     env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert run.returncode == 1 and run.stderr == "", run.stderr
    report = _without_changed_files_note(run.stdout)
    kept = GOLDEN / f"{_name(case)}.txt"
    if request.config.getoption("--update-golden"):
        kept.write_text(report, encoding="utf-8")
    assert kept.exists(), f"no golden report yet: run `python -m pytest {Path(__file__).name} --update-golden`"
    assert report == kept.read_text(encoding="utf-8"), (
        f"the report of {_name(case)} changed; if that is meant, run with --update-golden and review the diff")


def test_every_kept_report_has_its_case():
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(map(_name, CASES))
