"""Submissions graded together cannot touch each other: a hostile submission beside honest ones
changes none of their grades, and the batch still writes every result and grades.csv.

The hostile submission is the references with code put at the top of some exercise files: it
looks for a neighbour's copy, drains other pipes, sends an event the grader cannot read, leaves a
chain of processes behind, writes past the file cap and probes other exercises' processes. It
reports what it managed in what it prints, which its results keep. Its name starts with `=`.
A third submission is a folder that holds only a link to a neighbour's .zip.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import tempfile
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import copy_solutions, course, replace_function, run_grader

from kata.grading import processes
from test_hostile import insert_code, survivors
from test_mistakes import users_of

MARKER = f"kata-apart-{os.getpid()}"
TIMEOUT = "30"
CHAPTER = course().chapters[0]
IDS = [ex.id for ex in CHAPTER.exercises]
WRONG_MSE = '''
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_pred - y) ** 2).sum()
'''
# Keys of the runner's jobs are t<submission>-<exercise>: a determined student can guess them.
NEIGHBOURS = f'''
import glob, os, tempfile
_read = 0
for _path in glob.glob(os.path.join(tempfile.gettempdir(), "kata-grade-*", "graded", "honest", "*", "*.py")) + [
        os.path.join(_run, f"t{{n}}-{{i}}", "code", "{CHAPTER.folder}", "ex04_mse_loss.py")
        for _run in glob.glob(os.path.join(tempfile.gettempdir(), "kata-run-*")) for n in range(4) for i in {IDS}]:
    if _path.startswith(os.getcwd() + os.sep):
        continue  # its own copy
    try:
        with open(_path) as _f:
            _f.read()
        _read += 1
    except OSError:
        pass
print(f"hostile: read {{_read}} files of others")
'''
DRAIN = '''
import os
_drained, _open = 0, sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
for _fd in _open:
    if _fd > 2:
        try:
            os.set_blocking(_fd, False)
            _drained += len(os.read(_fd, 1 << 20))
        except OSError:
            pass
print(f"hostile: {len(_open)} descriptors, drained {_drained} bytes")
'''
MALFORMED = '''
import os
for _fd in range(3, 64):
    try:
        os.write(_fd, b'{"event": "test"}\\n' + b"x" * (2 << 20))
    except OSError:
        pass
'''
# Forty generations, each in a session of its own, each parent waiting for ever: ending one
# leaves the next to the grader, deeper than any fixed number of sweeps. The last one waits in
# a shell that carries the marker.
CHAIN = f'''
import os, time
if os.fork() == 0:
    for _ in range(40):
        if os.fork():
            time.sleep(300)
        os.setsid()
    os.execv("/bin/sh", ["/bin/sh", "-c", "sleep 300; true", "{MARKER}"])
'''
BIG_FILE = '''
import os
try:
    with open("big.bin", "wb") as _f:
        for _ in range(100):
            _f.write(b"0" * (1 << 20))
    print("hostile: wrote 100 MB")
except OSError:
    print(f"hostile: the file stopped at {os.path.getsize('big.bin') >> 20} MB")
'''
PROBE = '''
import os
_reached = 0
for _pid in os.listdir("/proc"):
    try:
        if _pid.isdigit() and os.stat(f"/proc/{_pid}").st_uid not in (0, os.getuid()):
            os.kill(int(_pid), 0)
            _reached += 1
    except OSError:
        pass
print(f"hostile: could signal {_reached} processes of other users")
'''
HOSTILE = {"mse_loss": NEIGHBOURS, "init_params": DRAIN, "predict": MALFORMED, "sgd_step": CHAIN,
           "zero_grad": BIG_FILE, "sum_of_squares_grads": PROBE}


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as f:
        return {row["id"]: row for row in csv.DictReader(f)}


def _printed(out: Path, id: str, ex_id: str) -> str:
    report = json.loads((out / id / "report.json").read_text(encoding="utf-8"))
    [ex] = [e for e in report["exercises"] if e["id"] == ex_id]
    return "".join(t["output"] for t in ex["tests"])


def _grade(out: Path, *subs: Path, env: dict | None = None):
    run = run_grader("grade", *map(str, subs), "--out", str(out), "--timeout", TIMEOUT, "--chapter",
                     str(CHAPTER.number), *(["--user", "nobody"] if os.geteuid() == 0 else []), env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("apart")
    honest = copy_solutions(root / "honest")
    wrong = replace_function(copy_solutions(root / "wrong"), "mse_loss", WRONG_MSE)
    (root / "zipped").mkdir()
    archive = root / "zipped" / "work.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(wrong.rglob("*.py")):
            zf.write(path, path.relative_to(wrong).as_posix())
    (root / "linked").mkdir()
    (root / "linked" / "work.zip").symlink_to(archive)
    hostile = copy_solutions(root / "=HYPERLINK(1)")
    for name, code in HOSTILE.items():
        insert_code(hostile / course().find(name).path, name, module=textwrap.dedent(code))
    try:
        alone = _grade(root / "alone", honest, root / "zipped")
        together = _grade(root / "together", honest, hostile, root / "zipped", root / "linked")
        left = survivors(MARKER)
    finally:
        for line in survivors(MARKER):  # never leave the chain running, whatever the outcome
            for pid in Path("/proc").iterdir():
                if pid.name.isdigit() and MARKER.encode() in (pid / "cmdline").read_bytes():
                    os.kill(int(pid.name), signal.SIGKILL)
    return {"alone": _grades(root / "alone"), "together": _grades(root / "together"), "out": root / "together",
            "stderr": alone.stderr + together.stderr, "survivors": left}


def test_honest_submissions_get_the_grades_they_get_alone(graded):
    assert graded["stderr"] == ""
    for id in ("honest", "zipped"):
        assert graded["together"][id] == graded["alone"][id]
    assert graded["alone"]["honest"]["total"] == graded["alone"]["honest"]["max"]
    assert graded["alone"]["zipped"]["total"] != graded["alone"]["zipped"]["max"]


def test_a_link_to_a_neighbours_zip_is_not_followed(graded):
    assert graded["together"]["linked"]["total"] == "0"


def test_a_name_like_a_formula_stays_text(graded):
    [row] = [row for row in graded["together"].values() if "HYPERLINK" in row["name"]]
    assert row["name"] == "'=HYPERLINK(1)"


def _hostile(graded: dict) -> str:
    return next(i for i, row in graded["together"].items() if "HYPERLINK" in row["name"])


def test_the_hostile_submission_drained_no_pipe_and_left_no_process(graded):
    assert "drained 0 bytes" in _printed(graded["out"], _hostile(graded), course().find("init_params").id)
    assert graded["survivors"] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="users of their own and caps apply when grading as root")
def test_as_root_the_hostile_submission_reads_and_signals_nothing_of_the_others(graded):
    out, id = graded["out"], _hostile(graded)
    assert "hostile: read 0 files of others" in _printed(out, id, course().find("mse_loss").id)
    assert "could signal 0 processes" in _printed(out, id, course().find("sum_of_squares_grads").id)


@pytest.mark.skipif(os.geteuid() != 0, reason="users of their own and caps apply when grading as root")
def test_as_root_each_exercise_has_only_its_own_descriptors_and_a_file_cap(graded):
    out, id = graded["out"], _hostile(graded)
    # 0, 1, 2, its events, the fault file, and the one listdir opens
    assert "hostile: 6 descriptors" in _printed(out, id, course().find("init_params").id)
    assert "the file stopped at 64 MB" in _printed(out, id, course().find("zero_grad").id)


def test_an_unreadable_event_fails_that_exercise_only(graded):
    id = _hostile(graded)
    report = json.loads((graded["out"] / id / "report.json").read_text(encoding="utf-8"))
    status = {e["id"]: e["status"] for e in report["exercises"]}
    predict = course().find("predict").id
    assert status[predict] == "error"
    assert "cannot read" in next(e["message"] for e in report["exercises"] if e["id"] == predict)
    assert {i for i, s in status.items() if s != "pass"} - users_of(predict) == set(), status


def test_every_event_reads_back_as_sent_and_anything_else_is_unreadable():
    from kata.outcomes import (MAX_EVENT, Done, Exited, Location, Ready, Start, Stopped, TestRecord, Tested,
                               TestStatus, Unreadable, decode, encode)

    record = TestRecord("test_one", TestStatus.FAIL, "wrong", location=Location("ex04_mse_loss.py", 3),
                        properties={"printed": 2}, seconds=0.5)
    for event in (Ready(), Start("test_one"), Tested(record), Exited(Location("ex04_mse_loss.py", 7)),
                  Stopped("interrupted"), Done(0.25)):
        assert decode(encode(event)) == event
    for line in (b'{"event": "test"}', b'{"event": "test", "name": "t", "status": "passed"}',
                 b'{"event": "start", "name": 3}', b'{"event": "done", "cpu": "1"}', b'{"event": "exit"}',
                 b'{"event": "other"}', b'[1, 2]', b"not json", b"[" * 100_000, b" " * (MAX_EVENT + 1)):
        assert isinstance(decode(line), Unreadable), line[:60]


FILL_DISK = '''
import itertools
try:
    for _n in itertools.count():
        with open(f"fill-{_n}.bin", "wb") as _f:
            _f.write(b"0" * (1 << 20))
except OSError as _e:
    print(f"hostile: the disk is full after {_n} MB ({_e.strerror})")
'''


@pytest.fixture
def small_disk():
    """A folder on a filesystem of its own, 32 MB large, that every user may reach (needs root, and
    a system that lets it mount)."""
    disk = Path(tempfile.mkdtemp(prefix="kata-small-disk-"))
    disk.chmod(0o755)
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)],
                                                   capture_output=True).returncode == 0
    try:
        if not mounted:
            pytest.skip("a small filesystem of its own needs root and mount")
        yield disk
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=True)
        disk.rmdir()


def test_a_submission_that_fills_the_disk_stops_no_other_result_nor_grades_csv(tmp_path, small_disk):
    """The grader's scratch folders and the results share the full disk: every result and grades.csv
    are still written."""
    honest = copy_solutions(tmp_path / "honest")
    filler = copy_solutions(tmp_path / "filler")
    insert_code(filler / course().find("mse_loss").path, "mse_loss", module=FILL_DISK)
    run = _grade(small_disk / "out", honest, filler, env={"TMPDIR": str(small_disk)})
    grades = _grades(small_disk / "out")
    assert set(grades) == {"honest", "filler"}, run.stdout + run.stderr
    assert "the disk is full" in _printed(small_disk / "out", "filler", course().find("mse_loss").id)
    for id in grades:
        assert (small_disk / "out" / id / "results.json").is_file()


def test_two_graders_never_hold_one_uid_whatever_temporary_folder_each_was_given(tmp_path, monkeypatch):
    """The Gradescope bundle gives its grader a TMPDIR of its own: the uids' locks must not follow it."""
    held = []
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / name))
        held.append(processes.Uids(3))
    try:
        first, second = ({uids.take() for _ in range(3)} for uids in held)
        assert len(first) == len(second) == 3 and not first & second
    finally:
        for uids in held:
            uids.close()
