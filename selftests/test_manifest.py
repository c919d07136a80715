"""The checksum manifest of the tests and the grader: current in the repository, and a changed
file is named in the report and in the JSON."""

from __future__ import annotations

import json

from conftest import ROOT, copy_kata, run_grader

from kata.grading import manifest


def test_the_manifest_is_current():
    changed = manifest.changed_files()
    assert changed == [], f"run `python -m kata.dev update` after changing: {changed}"


def test_it_covers_the_tests_the_grader_and_grader_py():
    files = manifest.recorded()
    assert "grader.py" in files
    assert "tests/conftest.py" in files and "tests/support.py" in files
    assert all(path.relative_to(ROOT).as_posix() in files for path in (ROOT / "tests").rglob("test_*.py"))
    assert "kata/grading/runner.py" in files and "kata/catalogue/course.toml" in files
    assert manifest.MANIFEST not in files


def test_added_changed_and_removed_files_are_all_noticed(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    manifest.write(kata)
    assert manifest.changed_files(kata) == []
    (kata / "tests" / "test_extra.py").write_text("def test_always():\n    pass\n", encoding="utf-8")
    (kata / "kata" / "exercise_process" / "guard.py").write_text("", encoding="utf-8")
    (kata / "grader.py").unlink()
    assert manifest.changed_files(kata) == ["grader.py", "kata/exercise_process/guard.py", "tests/test_extra.py"]
    (kata / "kata" / "manifest.json").unlink()
    assert manifest.changed_files(kata) == [manifest.MANIFEST]


def test_a_line_ending_is_no_change(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    manifest.write(kata)
    support = kata / "tests" / "support.py"
    support.write_bytes(support.read_bytes().replace(b"\n", b"\r\n"))
    assert manifest.changed_files(kata) == []


def test_a_changed_test_file_is_reported(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    manifest.write(kata)
    test_file = kata / "tests" / "ch1_autograd" / "test_ex01_tracked.py"
    test_file.write_text(test_file.read_text(encoding="utf-8") + "\n\ndef test_extra():\n    pass\n",
                         encoding="utf-8")
    out = tmp_path / "result.json"
    run = run_grader("check", "1", "--target", "solutions", "--json", str(out), kata=kata, cwd=kata)
    assert run.returncode == 0 and run.stderr == "", run.stdout + run.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["changed_files"] == ["tests/ch1_autograd/test_ex01_tracked.py"]
    assert "differ from the kata's originals" in result["changed_files_note"]
    assert "tests/ch1_autograd/test_ex01_tracked.py" in result["changed_files_note"]
    assert "differ from the kata's originals" in run.stdout and "tests/ch1_autograd/test_ex01_tracked.py" in run.stdout


def test_grade_reports_a_changed_test_in_each_report_as_check_does(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    manifest.write(kata)
    test_file = kata / "tests" / "ch1_autograd" / "test_ex01_tracked.py"
    test_file.write_text(test_file.read_text(encoding="utf-8") + "\n\ndef test_extra():\n    pass\n",
                         encoding="utf-8")
    out = tmp_path / "graded"
    run = run_grader("grade", str(kata / "solutions"), str(kata / "exercises"), "--out", str(out), "--chapter", "1",
                     kata=kata, cwd=kata)
    assert run.returncode == 0 and run.stderr == "", run.stdout + run.stderr
    for name in ("solutions", "exercises"):
        report = json.loads((out / name / "report.json").read_text(encoding="utf-8"))
        assert report["changed_files"] == ["tests/ch1_autograd/test_ex01_tracked.py"], name
