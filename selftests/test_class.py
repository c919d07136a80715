"""The instructor's view of a class: `grade` of thirty submissions made from the mistake
catalogue writes class.html, mistakes.csv and exercises.csv, and their counts agree with each
other and with the mistakes each submission's report.json names.

The class is chapter 1's: each submission is the reference solutions with one or two of the
chapter's catalogued mistakes put in (two only where neither exercise uses the other, so that
each mistake is named as the catalogue says). A few names are what a student might choose to
break a page or a spreadsheet.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT, course, replace_function, run_grader
from test_mistakes import CATALOGUE, users_of

CHAPTER = course().chapters[0]
NAMED = [m for m in CATALOGUE if "named" in m and course().named(m["function"]).chapter == CHAPTER.number]
SIZE = 30
# Names that a page must escape and a spreadsheet must not run.
ODD_NAMES = {0: "<i>Zoë & co", 1: "=HYPERLINK(\"x\")", 2: "@sum(1)", 3: "-2+3"}


def _independent(a: dict, b: dict) -> bool:
    ea, eb = course().named(a["function"]).id, course().named(b["function"]).id
    return ea != eb and eb not in users_of(ea) and ea not in users_of(eb)


def plan() -> list[list[dict]]:
    """The mistakes of each submission: one each, in catalogue order, and a second for every third."""
    subs = []
    for n in range(SIZE):
        first = NAMED[n % len(NAMED)]
        picked = [first]
        if n % 3 == 0:
            picked += [m for m in NAMED[n // 3:] + NAMED[:n // 3] if _independent(first, m)][:1]
        subs.append(picked)
    return subs


def _name(n: int) -> str:
    return ODD_NAMES.get(n, f"student{n:02d}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("class")
    folders = []
    for n, mistakes in enumerate(plan()):
        folder = work / "submissions" / _name(n)
        shutil.copytree(ROOT / "solutions" / CHAPTER.folder, folder / CHAPTER.folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for m in mistakes:
            replace_function(folder, m["function"], m["code"])
        folders.append(folder)
    out = work / "out"
    run = run_grader("grade", *map(str, folders), "--out", str(out), "--timeout", "60", timeout=600)
    assert run.returncode == 0 and run.stderr == "", run.stderr[-3000:]
    rows = _table(out / "grades.csv")[1:]
    assert [_cell(r[1]) for r in rows] == [_name(n) for n in range(SIZE)]  # in the order given
    ids = [_cell(r[0]) for r in rows]
    return {"out": out, "plan": plan(), "ids": ids, "run": run,
            "reports": {i: json.loads((out / i / "report.json").read_text(encoding="utf-8")) for i in ids}}


def _cell(text: str) -> str:
    """A CSV cell as written before the apostrophe that keeps a would-be formula text."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _table(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def _from_reports(reports: dict[str, dict]) -> dict[tuple[str, str], set[str]]:
    """(exercise, mistake id) -> the submissions whose report.json names it."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for sub, report in reports.items():
        for ex in report["exercises"]:
            for t in ex["tests"]:
                for m in t["mistakes"]:
                    found[(ex["id"], m["id"])].add(sub)
    return found


def _from_csv(out: Path) -> dict[tuple[str, str], set[str]]:
    rows = _table(out / "mistakes.csv")
    assert rows[0] == ["exercise", "mistake", "words", "count", "submissions"]
    found = {}
    for exercise, mistake, words, count, subs in rows[1:]:
        subs = subs.removeprefix("'")  # a cell that would start a formula is written as text
        assert words and int(count) == len(subs.split()) == len(set(subs.split()))
        found[(exercise.removeprefix("ex"), mistake)] = set(subs.split())
    return found


def _from_page(out: Path) -> dict[tuple[str, str], int]:
    page = (out / "class.html").read_text(encoding="utf-8")
    mistakes = page[page.index('<section id="mistakes">'):page.index('<section id="changed">')]
    found, exercise = {}, None
    for piece in re.finditer(r"<h3>(\d+) |<b>(\d+)</b> &times; <code>([^<]+)</code>", mistakes):
        if piece.group(1):
            exercise = piece.group(1)
        else:
            found[(exercise, html.unescape(piece.group(3)))] = int(piece.group(2))
    return found


def test_the_class_is_thirty_submissions_with_catalogued_mistakes(graded):
    assert len(graded["plan"]) == SIZE == len(graded["reports"])
    assert sum(len(p) == 2 for p in graded["plan"]) >= 8
    assert "class.html" in graded["run"].stdout


def test_each_planted_mistake_is_named_in_its_submissions_report(graded):
    for sub, mistakes in zip(graded["ids"], graded["plan"]):
        exercises = {e["id"]: e for e in graded["reports"][sub]["exercises"]}
        for m in mistakes:
            ex = exercises[course().named(m["function"]).id]
            named = {n["id"] for t in ex["tests"] for n in t["mistakes"]}
            assert m["named"] in named, f"{sub}: {m['function']}--{m['id']} not named: {named}"


def test_page_counts_equal_the_csv_which_equals_the_reports(graded):
    reports = _from_reports(graded["reports"])
    table = _from_csv(graded["out"])
    assert table == reports
    assert _from_page(graded["out"]) == {key: len(subs) for key, subs in table.items()}
    assert len(table) >= 15  # many different mistakes, not one counted many times


def test_mistakes_are_ranked_most_made_first_within_each_exercise(graded):
    rows = _table(graded["out"] / "mistakes.csv")[1:]
    for exercise in {r[0] for r in rows}:
        counts = [int(r[3]) for r in rows if r[0] == exercise]
        assert counts == sorted(counts, reverse=True)


def test_exercises_csv_counts_every_status_from_the_reports(graded):
    rows = _table(graded["out"] / "exercises.csv")
    assert rows[0][:7] == ["exercise", "name", "passed", "failed", "error", "timeout", "not_started"]
    for row in rows[1:]:
        ex_id = row[0].removeprefix("ex")
        statuses = [next(e for e in r["exercises"] if e["id"] == ex_id) for r in graded["reports"].values()]
        counted = dict(zip(["pass", "fail", "error", "timeout", "not_started"], map(int, row[2:7])))
        assert counted == {s: sum(e["status"] == s for e in statuses) for s in counted}
        assert float(row[7]) == pytest.approx(sum(e["score"] for e in statuses) / len(statuses), rel=1e-2)
    assert [r[0] for r in rows[1:]] == [f"ex{e.id}" for e in CHAPTER.exercises]


def test_page_shows_every_section_and_escapes_what_students_chose(graded):
    page = (graded["out"] / "class.html").read_text(encoding="utf-8")
    for section in ("totals", "exercises", "mistakes", "changed", "slowest"):
        assert f'<section id="{section}">' in page
    assert "<i>Zoë" not in page and "&lt;i&gt;Zoë &amp; co" in page
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<svg") >= 2


def test_csv_cells_that_would_start_a_formula_are_text(graded):
    for row in _table(graded["out"] / "mistakes.csv") + _table(graded["out"] / "exercises.csv"):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    page = (graded["out"] / "class.html").read_text(encoding="utf-8")
    assert all(html.escape(name) in page for name in ODD_NAMES.values())


def test_formula_cells_get_an_apostrophe(tmp_path):
    from kata.files import write_csv

    write_csv(tmp_path / "t.csv", [["=1+2", "+3", "-4", "@sum(1)", "\t=x", "04/sum-not-mean", 2]])
    assert _table(tmp_path / "t.csv") == [["'=1+2", "'+3", "'-4", "'@sum(1)", "'\t=x", "04/sum-not-mean", "2"]]


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1200, 390])
def test_page_renders_in_chromium_without_console_errors(graded, width):
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--no-first-run", f"--user-data-dir={profile}", f"--window-size={width},900",
             "--enable-logging=stderr", "--v=0", "--dump-dom", (graded["out"] / "class.html").as_uri()],
            capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    for section in ("totals", "exercises", "mistakes", "changed", "slowest"):
        assert f'id="{section}"' in run.stdout
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
