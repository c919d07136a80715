"""Course tools end to end: the student release, batch grading of every kind of submission,
the Gradescope bundle run in Gradescope's layout, and the GitHub Classroom workflow."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, copy_kata, copy_solutions, course, replace_function, run_grader, write_stubs

from kata import UsageError
from kata.catalogue import stubs
from kata.cli import grade as grade_command
from kata.course.classroom import READY_FILE, WORKFLOW_PATH, workflow_text
from kata.course.intake import given_name, submission_ids
from kata.course.results import HIDDEN_FAILED
from kata.grading import manifest
from kata.grading.processes import FIRST_FREE_UID
from kata.grading.target import folder_target
from kata.notebooks.build import generate

MAX = sum(e.points for e in course().exercises)
IDS = [e.id for e in course().exercises]
COLUMNS = [f"ex{i}" for i in IDS]
# Nothing in these submissions hangs: the limit only guards against one that would, with room
# for a busy machine.
TIMEOUT = "30"
# As root, as on Gradescope, submissions' code runs as nobody.
AS_NOBODY = ["--user", "nobody"] if os.geteuid() == 0 else []


def make_notebooks(source: Path, out: Path) -> Path:
    generate(folder_target(source), out, list(course().exercises))
    return out


def read_grades(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv's rows by id (the file starts with a byte-order mark, for spreadsheets)."""
    assert (out / "grades.csv").read_bytes().startswith("\ufeffid,name,".encode())
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == ["id", "name", *COLUMNS, "total", "max"]
    return {row["id"]: row for row in rows}


# --- the student release --------------------------------------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "kata"
    made = run_grader("release", str(out))
    assert made.returncode == 0, made.stderr
    assert made.stderr == ""
    return out


def test_release_holds_the_student_copy_and_no_solutions(release):
    assert not (release / "solutions").exists()
    for name in ("grader.py", "pyproject.toml", "README.md", "kata/catalogue/course.toml", "kata/manifest.json",
                 WORKFLOW_PATH):
        assert (release / name).is_file(), name
    for ex in course().exercises:
        stub = (release / "exercises" / ex.path).read_text(encoding="utf-8")
        assert stub == stubs.pristine_stub(ex), ex.path
        assert (release / "tests" / ex.test_path).is_file()
        # `reset` restores from kata/stubs/ when there are no solutions to make the stub from.
        assert stubs.pristine_stub(ex, release) == stub
    assert manifest.changed_files(release) == []
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "solutions/" not in readme and "Maintainers" not in readme and ".[dev]" not in readme
    assert "```\npython -m pip install -e .\n```" in readme and "download.pytorch.org/whl/cpu" in readme
    assert all(f"`{e.name}`" in readme for e in course().exercises)
    assert (release / WORKFLOW_PATH).read_text(encoding="utf-8") == workflow_text(list(course().chapters))


def test_release_self_checks_to_zero_and_passes_once_solved(release, tmp_path):
    kata = shutil.copytree(release, tmp_path / "kata")
    stub = run_grader("check", "--json", str(tmp_path / "stub.json"), kata=kata, cwd=kata)
    assert stub.returncode == 1 and stub.stderr == ""
    graded = json.loads((tmp_path / "stub.json").read_text())
    assert graded["score"] == 0
    assert {e["status"] for e in graded["exercises"]} == {"not_started"}

    for ex in course().exercises:
        shutil.copy2(ROOT / "solutions" / ex.path, kata / "exercises" / ex.path)
    solved = run_grader("check", "--json", str(tmp_path / "solved.json"), kata=kata, cwd=kata)
    assert solved.returncode == 0, solved.stdout
    assert solved.stderr == ""
    graded = json.loads((tmp_path / "solved.json").read_text())
    assert graded["score"] == graded["max_score"] == MAX

    first = course().exercises[0]
    reset = run_grader("reset", first.id, "--yes", kata=kata, cwd=kata)
    assert reset.returncode == 0 and reset.stderr == ""
    assert (kata / "exercises" / first.path).read_text(encoding="utf-8") == stubs.pristine_stub(first)


def test_a_release_of_one_chapter_knows_that_chapter_alone(tmp_path):
    first = course().chapters[0]
    out = tmp_path / "chapter"
    made = run_grader("release", str(out), "--chapter", str(first.number))
    assert made.returncode == 0 and made.stderr == "", made.stdout + made.stderr
    others = [c for c in course().chapters if c != first]
    assert all(not (out / "exercises" / c.folder).exists() and not (out / "tests" / c.folder).exists()
               for c in others)
    listed = run_grader("list", kata=out, cwd=out)
    assert listed.returncode == 0 and first.title in listed.stdout
    assert all(c.title not in listed.stdout for c in others)
    workflow = (out / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert all(f"check {e.id}\n" in workflow for e in first.exercises)
    assert all(f"check {e.id}\n" not in workflow for c in others for e in c.exercises)


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    out = tmp_path / "course"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    refused = run_grader("release", str(out))
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert "not empty" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "my notes\n"
    assert [p.name for p in tmp_path.iterdir()] == ["course"]


# --- hidden checks, in a copy of the kata with one added --------------------------------

HIDDEN_CHECK = '''
from kata.grading.audit import Check

CHECKS = [
    Check("01", lambda g: {"value": 1234567.0},
          lambda a: {"value": 1234567.0, "dtype": "torch.float32", "leaf": True, "requires_grad": True, "shape": []},
          mistake="caps large values"),
]
'''

# It caps large values, and looks through its process's memory for the instructor's check as it loads.
CAPPING_TRACKED = '''
import gc as _gc
import sys as _sys
import types as _types

_gc.unfreeze()  # what the grader froze before it forked, too
_seen = [o for o in _gc.get_objects() if isinstance(o, _types.FunctionType)
         and o.__code__.co_filename.endswith("hidden_checks.py")]
_seen += [m for m in _sys.modules if m.endswith("hidden_checks")]
print("FOUND-HIDDEN" if _seen else "nothing hidden in memory")


def tracked(value: float) -> torch.Tensor:
    return torch.tensor(min(value, 1000.0), dtype=torch.float32, requires_grad=True)
'''


def test_hidden_checks_stay_out_of_the_release_and_count_when_grading(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    folder = course().find("01").folder
    (kata / "tests" / folder / "hidden_checks.py").write_text(HIDDEN_CHECK, encoding="utf-8")

    made = run_grader("release", str(tmp_path / "release"), kata=kata)
    assert made.returncode == 0 and made.stderr == ""
    assert "1 hidden check left out" in made.stdout
    assert not (tmp_path / "release" / "tests" / folder / "hidden_checks.py").exists()
    assert (tmp_path / "release" / "tests" / folder / "audit_checks.py").is_file()

    submission = copy_solutions(tmp_path / "capping")
    replace_function(submission, "tracked", CAPPING_TRACKED)
    graded = run_grader("grade", str(submission), "--out", str(tmp_path / "out"), "--timeout", TIMEOUT,
                        kata=kata)
    assert graded.returncode == 0 and graded.stderr == ""
    assert read_grades(tmp_path / "out")["capping"]["ex01"] == "0"
    results = json.loads((tmp_path / "out" / "capping" / "results.json").read_text())
    first, hidden = results["tests"][0], results["tests"][1]
    assert first["number"] == "01" and first["score"] == 0 and first["visibility"] == "visible"
    assert HIDDEN_FAILED in first["output"] and "caps large values" in first["output"]
    assert hidden["number"] == "01.1" and hidden["output_format"] == "text"
    assert hidden["name"].endswith("hidden check 1")
    assert hidden["visibility"] == "after_published" and hidden["status"] == "failed"
    assert hidden["max_score"] == 0 and "caps large values" in hidden["output"]
    assert "1234567" not in json.dumps(results)  # neither its input nor its expected value
    report = (tmp_path / "out" / "capping" / "report.json").read_text()
    assert "nothing hidden in memory" in report and "FOUND-HIDDEN" not in report


def test_a_test_marked_hidden_is_refused_before_it_is_imported(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    test_file = kata / "tests" / course().find("01").test_path
    test_file.write_text("import pytest\n" + test_file.read_text(encoding="utf-8")
                         + "\n\n@pytest.mark.hidden\ndef test_secret(tracked):\n    pass\n", encoding="utf-8")
    checked = run_grader("check", "1", "--target", "solutions", "--json", str(tmp_path / "r.json"),
                         "--timeout", TIMEOUT, kata=kata)
    assert checked.stderr == ""
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["exercises"][0]["status"] == "error" and "hidden_checks.py" in report["exercises"][0]["message"]


# --- batch grading -------------------------------------------------------------------

TAMPERING_CONFTEST = '''
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
'''

WRONG_MSE = '''
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y_pred.shape != y.shape:
        raise ValueError(f"shapes differ: {tuple(y_pred.shape)} and {tuple(y.shape)}")
    return ((y_pred - y) ** 2).sum()
'''


def _zip_folder(folder: Path, archive: Path, top: str, extra: dict[str, str]) -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*.py")):
            zf.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
        for name, text in extra.items():
            zf.writestr(name, text)
    return archive


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """One batch with every kind of submission, graded once for the module."""
    work = tmp_path_factory.mktemp("batch")
    subs = work / "submissions"
    subs.mkdir()
    copy_solutions(subs / "solved")
    write_stubs(subs / "stub")
    # Two with chapter 1 alone: the later chapters' files missing is part of what they show.
    replace_function(first_chapter(subs / "wrong"), "mse_loss", WRONG_MSE)
    hostile = first_chapter(subs / "hostile") / course().find("predict").path
    hostile.write_text("import os\nos._exit(3)\n" + hostile.read_text(encoding="utf-8"), encoding="utf-8")
    make_notebooks(ROOT / "solutions", subs / "notebook")
    tamper = write_stubs(subs / "tampering")
    (tamper / "conftest.py").write_text(TAMPERING_CONFTEST)
    (tamper / "test_mine.py").write_text("def test_everything_passes():\n    assert True\n")
    linked = tamper / course().find("tracked").path
    linked.unlink()
    linked.symlink_to(ROOT / "solutions" / course().find("tracked").path)
    _zip_folder(ROOT / "solutions", subs / "zipped.zip", "alice/exercises", {
        "alice/conftest.py": TAMPERING_CONFTEST,
        "../outside.py": "print('never written')\n",
    })
    first = course().find("01")
    (subs / "Zoë Müller").mkdir()
    shutil.copy2(ROOT / "solutions" / first.path, subs / "Zoë Müller" / first.file)
    names = ["solved", "stub", "wrong", "hostile", "notebook", "tampering", "zipped.zip", "Zoë Müller"]
    out = work / "grades"
    graded = run_grader("grade", *[str(subs / n) for n in names], "--out", str(out), "--timeout", TIMEOUT,
                        *AS_NOBODY)
    return {"run": graded, "out": out, "grades": read_grades(out)}


def first_chapter(dest: Path) -> Path:
    """A submission laid out like exercises/ with chapter 1's reference solutions alone."""
    chapter = course().chapters[0]
    shutil.copytree(ROOT / "solutions" / chapter.folder, dest / chapter.folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def results_of(batch: dict, name: str) -> dict:
    return json.loads((batch["out"] / name / "results.json").read_text())


def test_batch_succeeds_quietly(batch):
    assert batch["run"].returncode == 0, batch["run"].stderr
    assert batch["run"].stderr == ""
    assert "Graded 8 submissions" in batch["run"].stdout
    assert "\r" not in batch["run"].stdout  # no progress bar when stdout is not a terminal


@pytest.mark.parametrize("name, expected", [
    ("solved", "full"), ("stub", "zero"), ("wrong", "partial"), ("hostile", "partial"),
    ("notebook", "full"), ("tampering", "zero"), ("zipped", "full"),
])
def test_batch_gives_each_submission_its_grade(batch, name, expected):
    row = batch["grades"][name]
    total = float(row["total"])
    assert float(row["max"]) == MAX
    assert total == sum(float(row[c]) for c in COLUMNS)
    short = {c: row[c] for c in COLUMNS if float(row[c]) < course().find(c[2:]).points}
    assert {"full": total == MAX, "zero": total == 0, "partial": 0 < total < MAX}[expected], (
        f"short of full marks: {short}\n" + (batch["out"] / name / "report.txt").read_text(encoding="utf-8"))

    results = results_of(batch, name)
    assert results["score"] == total
    by_id = {t["number"]: t for t in results["tests"] if "number" in t}
    assert list(by_id) == IDS
    for ex in course().exercises:
        t = by_id[ex.id]
        assert t["score"] == float(row[f"ex{ex.id}"]) and t["max_score"] == ex.points
        assert t["status"] == ("passed" if t["score"] == ex.points else "failed")
        assert t["output"].strip()
    report = json.loads((batch["out"] / name / "report.json").read_text())
    assert report["score"] == total and report["max_score"] == MAX
    assert all(c.title in (batch["out"] / name / "report.txt").read_text(encoding="utf-8") for c in course().chapters)


def test_batch_keeps_each_submissions_own_name(batch):
    zoe = batch["grades"]["Zo_M_ller"]
    assert zoe["name"] == "Zoë Müller" and zoe["ex01"] == "1" and zoe["total"] == "1"
    assert batch["grades"]["zipped"]["name"] == "zipped"
    assert "Zoë Müller/" in (batch["out"] / "Zo_M_ller" / "report.txt").read_text(encoding="utf-8")


def test_submission_ids_are_safe_and_do_not_depend_on_the_order(tmp_path):
    paths = [tmp_path / "a" / "alice", tmp_path / "b" / "Alice", tmp_path / "Zoë Müller", tmp_path / "grades"]
    for path in paths:
        path.mkdir(parents=True)
    (tmp_path / "bob.zip").write_bytes(b"")
    paths.append(tmp_path / "bob.zip")
    expected = {"alice": "alice-2", "Alice": "Alice", "Zoë Müller": "Zo_M_ller", "grades": "grades", "bob": "bob"}
    for order in (paths, paths[::-1], paths[2:] + paths[:2]):
        assert {given_name(p): i for p, i in zip(order, submission_ids(order))} == expected
    assert submission_ids([tmp_path / "grades"], reserved={"grades"}) == ["grades-2"]


def test_grade_as_another_user_needs_an_unprivileged_one(tmp_path):
    for user, words in (("no-such-user-here", "there is no such user"), ("root", "that user is root")):
        refused = run_grader("grade", str(ROOT / "solutions"), "--out", str(tmp_path / "out"), "--user", user)
        assert refused.returncode == 2 and refused.stdout == ""
        assert words in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can ask what another user can read")
def test_grade_as_another_user_is_refused_when_that_user_cannot_read_what_the_code_needs(monkeypatch):
    nobody = (65534, 65534)
    folder = Path(tempfile.mkdtemp(prefix="kata-access-"))  # under /tmp: pytest's own folders are private
    try:
        (folder / "private").mkdir()
        for path in (folder / "open.py", folder / "private" / "torch.py"):
            path.write_text("")
            path.chmod(0o644)
        folder.chmod(0o755)
        (folder / "private").chmod(0o700)  # as a fresh virtual environment made by mktemp -d is
        needed = [folder / "open.py", folder / "private" / "torch.py"]
        assert grade_command.unreadable_for(needed, *nobody) == folder / "private" / "torch.py"
        assert grade_command.unreadable_for(needed[:1], *nobody) is None
    finally:
        shutil.rmtree(folder)
    monkeypatch.setattr(grade_command, "unreadable_for", lambda paths, uid, gid: Path("/venv/lib/torch/__init__.py"))
    with pytest.raises(UsageError) as refused:
        grade_command.learner_account("nobody")
    assert "nobody cannot read /venv/lib/torch/__init__.py" in str(refused.value)
    assert "chmod a+rX" in str(refused.value) and "\n" not in str(refused.value)


UID_TRACKED = '''
import os

import torch

print(f"learner uid {os.getuid()} gid {os.getgid()}")


def tracked(value: float) -> torch.Tensor:
    return torch.tensor(-value, requires_grad=True)
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can run the submissions' code as another user")
def test_grade_as_nobody_in_a_fresh_python_runs_the_submissions_code_as_a_user_of_its_own(tmp_path):
    """The fresh Python of each exercise (where there is no fork) switches users too, to a uid
    that no account has, in nobody's group; forks do so in the batch above and in the Gradescope
    layout below."""
    import pwd

    first = course().find("01")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / first.file).write_text(UID_TRACKED, encoding="utf-8")
    graded = run_grader("grade", str(tmp_path / "sub"), "--out", str(tmp_path / "out"), "--user", "nobody",
                        "--isolation", "spawn", "--timeout", TIMEOUT)
    assert graded.returncode == 0 and graded.stderr == "", graded.stdout + graded.stderr
    report = json.loads((tmp_path / "out" / "sub" / "report.json").read_text())
    printed = "".join(t["output"] for t in report["exercises"][0]["tests"])
    seen = re.search(r"learner uid (\d+) gid (\d+)\n", printed)
    assert seen is not None, printed
    assert int(seen.group(1)) >= FIRST_FREE_UID and int(seen.group(2)) == pwd.getpwnam("nobody").pw_gid
    with pytest.raises(KeyError):
        pwd.getpwuid(int(seen.group(1)))


def test_batch_names_the_mistakes(batch):
    wrong = {t["number"]: t for t in results_of(batch, "wrong")["tests"]}
    assert wrong["04"]["status"] == "failed" and wrong["01"]["status"] == "passed"
    hostile = {t["number"]: t for t in results_of(batch, "hostile")["tests"]}
    assert "os._exit()" in hostile["06"]["output"]
    tampering = results_of(batch, "tampering")
    assert "ex01_tracked.py is not a regular file" in tampering["output"]
    assert all(t["status"] == "failed" for t in tampering["tests"])
    assert {t["number"]: t for t in tampering["tests"]}["04"]["output"].startswith("Not started")


def test_batch_reports_carry_no_scratch_paths(batch):
    for folder in batch["out"].iterdir():
        if folder.is_dir():
            for name in ("results.json", "report.json", "report.txt"):
                assert "kata-grade-" not in (folder / name).read_text(encoding="utf-8"), folder.name


def test_zip_submission_is_read_safely(batch):
    results = results_of(batch, "zipped")
    assert "../outside.py has an unsafe path" in results["output"]
    assert not (batch["out"].parent / "outside.py").exists()
    assert not (batch["out"] / "outside.py").exists()


# --- Gradescope ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    made = run_grader("gradescope", str(path))
    assert made.returncode == 0 and made.stderr == ""
    return path


def lay_out(bundle: Path, submission: Path, root: Path) -> Path:
    """Unpack the bundle into root/ as Gradescope does, and put the submission in place."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "results").mkdir()
    return root


def run_autograder(root: Path, first_on_path: Path | None = None) -> dict:
    """Run root/run_autograder (as root, here as on Gradescope, when the tests run as root); its results.json."""
    path = os.pathsep.join([*([str(first_on_path)] if first_on_path else []), str(Path(sys.executable).parent),
                            os.environ.get("PATH", "")])
    ran = subprocess.run([str(root / "run_autograder")], cwd=root, capture_output=True, text=True, timeout=300,
                         stdin=subprocess.DEVNULL, env=dict(os.environ, AUTOGRADER_ROOT=str(root), PATH=path))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stderr == ""
    return json.loads((root / "results" / "results.json").read_text())


def test_bundle_has_the_scripts_at_its_root(bundle):
    with zipfile.ZipFile(bundle) as zf:
        infos = {i.filename: i for i in zf.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o111, f"{script} is not executable"
    assert "requirements.txt" in infos and "grader.py" in infos
    assert all(f"tests/{e.test_path}" in infos for e in course().exercises)
    assert not any(name.startswith(("solutions/", "exercises/", "selftests/")) for name in infos)


def test_bundle_scripts_are_valid_bash(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path, ["setup.sh", "run_autograder"])
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0, script


def _ubuntu() -> bool:
    try:
        return "\nID=ubuntu\n" in "\n" + Path("/etc/os-release").read_text()
    except OSError:
        return False


@pytest.mark.skipif(_ubuntu(), reason="on Ubuntu, setup.sh would install Python with apt-get")
def test_bundle_setup_stops_and_says_why_where_it_cannot_install_python(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        zf.extract("setup.sh", tmp_path)
    tools = tmp_path / "bin"  # no Python 3.11 on this PATH, and no apt-get
    tools.mkdir()
    (tools / "python3").write_text("#!/bin/sh\nexit 1\n")
    (tools / "python3").chmod(0o755)
    (tools / "dirname").symlink_to(shutil.which("dirname"))
    ran = subprocess.run([shutil.which("bash"), str(tmp_path / "setup.sh")], capture_output=True, text=True,
                         timeout=60, env={"PATH": str(tools), "AUTOGRADER_ROOT": str(tmp_path / "ag")})
    assert ran.returncode == 1 and ran.stdout == ""
    assert "no Python 3.11 or newer" in ran.stderr and "Ubuntu 22.04" in ran.stderr
    assert not (tmp_path / "ag").exists()


@pytest.mark.parametrize("folder, score", [("solutions", MAX), ("stubs", 0.0), ("attacked stubs", 0.0)])
def test_bundle_grades_a_submission_in_gradescope_layout(bundle, tmp_path, folder, score):
    """The references get every point; untouched stubs none, and none either when their code forges
    passing reports and blinds the tripwire (the audit, outside their process, is not fooled)."""
    from test_audit import attacked_stubs  # here: test_audit reads this module's helpers

    submission = (ROOT / "solutions" if folder == "solutions" else write_stubs(tmp_path / "stubs")
                  if folder == "stubs" else attacked_stubs(tmp_path / "attacked", "encoder-patched"))
    root = lay_out(bundle, submission, tmp_path / "autograder")
    started = time.monotonic()
    results = run_autograder(root)
    elapsed = time.monotonic() - started
    assert results["score"] == score
    assert sum(t["score"] for t in results["tests"]) == score
    assert {t["status"] for t in results["tests"]} == {"passed" if score else "failed"}
    # As Gradescope's specification reads: text, not HTML; whole seconds, of the grading (no more
    # than the whole run, however busy the machine); numbered tests.
    assert results["output_format"] == "text"
    assert all(t["output_format"] == t["name_format"] == "text" for t in results["tests"])
    assert isinstance(results["execution_time"], int) and 1 <= results["execution_time"] <= elapsed + 1
    assert [t["number"] for t in results["tests"]] == IDS


TAMPERING_TRACKED = '''
import os
from pathlib import Path

import torch

# As the grader loads this file: change every file of the autograder, and forge the results.
ROOT = Path(os.environ["AUTOGRADER_ROOT"])
changed = []
sources = [Path(folder, name) for folder, _, names in os.walk(ROOT / "source") for name in names]
for path in [*sources, ROOT / "run_autograder", ROOT / "results" / "results.json", ROOT / "results" / "forged.json"]:
    try:
        with open(path, "a") as f:
            f.write('{"score": 1000}\\n')
        changed.append(path.name)
    except OSError:
        pass
print(f"learner uid {os.getuid()}, {len(changed)} files changed")


def tracked(value: float) -> torch.Tensor:
    return torch.tensor(-value, requires_grad=True)  # wrong, so that the report shows what was printed
'''


def _checksums(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.parts[len(root.parts)] != "submission"}


@pytest.mark.skipif(os.geteuid() != 0, reason="run_autograder switches users only as root, as on Gradescope")
def test_bundle_runs_the_submission_as_a_user_who_cannot_change_the_autograder(bundle, tmp_path):
    # Chapter 1 alone: every exercise that uses tracked runs the tampering code, each as its own user.
    submission = first_chapter(tmp_path / "tampering")
    (submission / course().find("tracked").path).write_text(TAMPERING_TRACKED, encoding="utf-8")
    root = lay_out(bundle, submission, tmp_path / "autograder")
    before = _checksums(root)
    assert any(name.startswith("source/kata/") for name in before)

    results = run_autograder(root)
    first = results["tests"][0]
    seen = re.search(r"learner uid (\d+), (\d+) files changed", first["output"])
    assert seen is not None, first["output"]
    assert int(seen.group(1)) != 0 and seen.group(2) == "0"
    assert first["score"] == 0 and results["score"] == sum(t["score"] for t in results["tests"])
    after = _checksums(root)
    assert after.pop("results/results.json") and after == before
    assert [p.name for p in (root / "results").iterdir()] == ["results.json"]


def test_bundle_writes_results_even_when_python_cannot_start(bundle, tmp_path):
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "python3").write_text(r"""#!/bin/sh
printf '%s\n' 'Fatal Python error: broken on purpose, "quoted" \ <b>' >&2
exit 1
""")
    (broken / "python3").chmod(0o755)
    root = lay_out(bundle, ROOT / "solutions", tmp_path / "autograder")
    results = run_autograder(root, first_on_path=broken)
    assert results["score"] == 0 and results["tests"] == [] and results["output_format"] == "text"
    assert "could not grade this submission" in results["output"] and "exit status 1" in results["output"]
    assert r'Fatal Python error: broken on purpose, "quoted" \ <b>' in results["output"]
    assert isinstance(results["execution_time"], int)


# --- GitHub Classroom ---------------------------------------------------------------


def test_classroom_workflow_is_current_and_grades_every_exercise():
    text = READY_FILE.read_text(encoding="utf-8")
    assert text == workflow_text(list(course().chapters)), "run `python -m kata.dev update`"
    for ex in course().exercises:
        step = text[text.index(f"id: ex{ex.id}\n"):]
        assert f"command: python grader.py check {ex.id}\n" in step
        assert f"max-score: {ex.points:g}\n" in step.split("- name:")[0]
        assert f"EX{ex.id}_RESULTS" in text
    # The majors that run on Node 24 (Node 20 is gone from GitHub's runners).
    assert "uses: actions/checkout@v7\n" in text and "uses: actions/setup-python@v7\n" in text


def test_classroom_refuses_points_it_cannot_count(tmp_path):
    kata = copy_kata(tmp_path / "kata")
    shutil.copy2(ROOT / "README.md", kata / "README.md")
    metadata = kata / "kata" / "catalogue" / "course.toml"
    text, found = re.subn(r'(id = "04"\n(?:.*\n)*?points = )\d+', r"\g<1>1.5", metadata.read_text(encoding="utf-8"),
                          count=1)
    assert found == 1
    metadata.write_text(text, encoding="utf-8")
    why = "exercise 04 (mse_loss) is worth 1.5 points, but GitHub Classroom counts whole points only"

    released = run_grader("release", str(tmp_path / "release"), kata=kata)
    assert released.returncode == 2 and released.stdout == ""
    assert why in released.stderr and len(released.stderr.strip().splitlines()) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["kata"]
    checked = subprocess.run([sys.executable, "-m", "kata.dev", "check"], cwd=kata, capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 1 and why in checked.stdout


# --- taking submissions in (no grading: fast) ------------------------------------------


def test_intake_leaves_out_oversized_files_links_and_other_folders(tmp_path):
    from kata.course.intake import MAX_SOURCE_BYTES, take_in

    archive = tmp_path / "work.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for ex in course().exercises[1:]:
            zf.write(ROOT / "solutions" / ex.path, f"bob/exercises/{ex.path}")
        zf.writestr("bob/exercises/ch1_autograd/ex01_tracked.py", "#" * (MAX_SOURCE_BYTES + 1))
        link = zipfile.ZipInfo("bob/old/ex02_sum_of_squares.py")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("bob/draft/ex03_gradients.py", "")
    sub = take_in(archive, "bob", tmp_path / "scratch")
    assert sub.files == sorted(e.path for e in course().exercises[1:])
    assert sorted(p.relative_to(sub.folder).as_posix() for p in sub.folder.rglob("*.py")) == sub.files
    notes = "\n".join(sub.notes)
    assert "ex01_tracked.py is larger than 1 MB" in notes
    assert "bob/old/ex02_sum_of_squares.py is a link" in notes
    assert "Only the files in bob/exercises/ch1_autograd/ were graded; bob/draft/ also had some" in notes


def test_intake_reads_notebooks_when_the_exercise_files_are_untouched(tmp_path):
    from kata.course.intake import take_in

    repo = tmp_path / "repo"
    write_stubs(repo / "exercises")
    make_notebooks(ROOT / "solutions", repo / "notebooks")
    sub = take_in(repo, "repo", tmp_path / "scratch")
    assert sub.notebooks
    assert sub.files == sorted(e.path for e in course().exercises)
