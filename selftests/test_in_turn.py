"""A batch grades each submission's exercises in turn in one process (kata.sharing), and
that must never change a verdict: every exercise is graded as if it were alone.

Each test grades folders in a fresh Python (a script below), so that the processes it
forks are those of a grader, and reads back the reports and a log of which jobs shared
which process.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, chapter, copy_solutions, replace_function
from test_hostile import insert_code
from test_mistakes import users_of

TIMEOUT = 3.0

SCRIPT = textwrap.dedent("""\
    import json, sys
    from pathlib import Path
    from kata import engine, runner, sharing
    from kata.meta import chapter

    folders, alone, unchecked = [Path(p) for p in sys.argv[1].split(",")], sys.argv[2] == "alone", sys.argv[3] == "unchecked"
    processes, heard = [], []
    start = runner.Runner._start
    def logged_start(self, jobs):
        processes.append([job.key for job in jobs])
        return start(self, jobs)
    runner.Runner._start = logged_start
    run = runner.Runner.run
    def logged_run(self, jobs, on_done=None, **kwargs):
        def done(job, outcome):
            heard.append({"key": job.key, "after": list(outcome.after)})
            on_done(job, outcome)
        return run(self, jobs, done, **kwargs)
    runner.Runner.run = logged_run
    if unchecked:  # as if the check between two exercises could see nothing
        sharing.State.changes = lambda self: []
    exercises = list(chapter().exercises)
    if alone:
        runs = [engine.grade([f], exercises, timeout=TIMEOUT)[0] for f in folders]
    else:
        runs = engine.grade(folders, exercises, timeout=TIMEOUT)
    print(json.dumps({"reports": [r.to_json() for r in runs], "processes": processes, "heard": heard}))
    """)


def grade(folders: list[Path], alone: bool = False, unchecked: bool = False) -> dict:
    script = SCRIPT.replace("TIMEOUT", repr(TIMEOUT))
    proc = subprocess.run(
        [sys.executable, "-c", script, ",".join(map(str, folders)), "alone" if alone else "batch",
         "unchecked" if unchecked else "checked"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def verdicts(report: dict) -> dict[str, tuple]:
    """What the learner reads of each exercise (its time aside, and the line a stuck loop
    happened to be on when its time ran out)."""
    def text(e: dict, message: str) -> str:
        return re.sub(r"line \d+", "line N", message) if e["status"] == "timeout" else message

    return {e["id"]: (e["status"], e["score"], text(e, e["message"]),
                      [(t["name"], t["status"], text(e, t["message"])) for t in e["tests"]])
            for e in report["exercises"]}


def first_in_process(result: dict) -> bool:
    return not result["after"]


def assert_confirmed_alone(data: dict) -> None:
    """Every verdict but pass or not started came from a process where its exercise ran first."""
    heard = {h["key"]: h for h in data["heard"]}
    for n, report in enumerate(data["reports"]):
        for e in report["exercises"]:
            if e["status"] not in ("pass", "not_started"):
                assert first_in_process(heard[f"t{n}-{e['id']}"]), (n, e["id"], e["status"])


def folder_with(root: Path, name: str, exercise: str, module: str = "", body: str = "") -> Path:
    folder = copy_solutions(root / name)
    ex = chapter().find(exercise)
    insert_code(folder / ex.file, ex.name, body=body, module=module)
    return folder


# An import hook that keeps exercise 04's file from loading.
HIDE_04 = textwrap.dedent("""\
    import sys
    class Hide:
        def find_spec(self, name, path=None, target=None):
            if name.endswith("ex04_mse_loss"):
                raise ImportError("hidden by exercise 01")
    sys.meta_path.insert(0, Hide())""")

# Code at the top of exercise 01's file that changes the process for whatever runs after.
TRACES = {
    "default_dtype": "import torch\ntorch.set_default_dtype(torch.float64)",
    "recursion_limit": "import sys\nsys.setrecursionlimit(12345)",
    "trace_function": "import sys\nsys.setprofile(lambda *a: None)",
    "alarm": "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.alarm(100)",
    "thread": "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), daemon=True).start()",
    "child_process": "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])",
    "working_folder": "import os\nos.chdir('/')",
    "num_threads": "import torch\ntorch.set_num_threads(2)",
    "removed_module": "import sys\nsys.modules.pop('torch.nn.functional', None)",
    "planted_module": "import sys\nsys.modules['kata_target.ex04_mse_loss'] = None",
    "import_hook": HIDE_04,
}


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> tuple[list[str], dict]:
    root = tmp_path_factory.mktemp("traces")
    folders = [folder_with(root, name, "01", module=code) for name, code in TRACES.items()]
    return list(TRACES), grade(folders)


def test_a_trace_left_in_the_process_ends_the_sharing(traced):
    names, data = traced
    heard = {h["key"]: h["after"] for h in data["heard"]}
    for n, name in enumerate(names):
        # Exercise 01 left a trace: no exercise after it ran in its process.
        shared = [key for key, after in heard.items() if f"t{n}-01" in after]
        assert not shared, (name, shared)
        # Without one, the process would have gone on to exercise 02.
        assert [p for p in data["processes"] if p[0] == f"t{n}-01"][0][1] == f"t{n}-02"


def test_a_trace_in_one_exercise_changes_no_other_verdict(traced):
    names, data = traced
    for name, report in zip(names, data["reports"]):
        graded = {e["id"]: e for e in report["exercises"]}
        broken = {i: e["message"] for i, e in graded.items() if i not in users_of("01") and e["status"] != "pass"}
        assert not broken, (name, broken)


def test_without_the_check_each_failure_is_confirmed_alone(tmp_path):
    """Suppose the check between exercises missed a trace: the import hook that exercise 01
    leaves behind fails exercise 04 and those built on it in a shared process. Those verdicts
    are not taken: each such exercise runs again, first in a fresh process, and passes."""
    folder = folder_with(tmp_path, "import_hook", "01", module=HIDE_04)
    data = grade([folder, copy_solutions(tmp_path / "solved")], unchecked=True)
    graded = {e["id"]: e for e in data["reports"][0]["exercises"]}
    assert all(e["status"] == "pass" for i, e in graded.items() if i not in users_of("01")), graded
    # 04 was heard of from a second run, first in its process; the first process went on
    # after exercise 01 and tried it.
    heard = {h["key"]: h["after"] for h in data["heard"]}
    assert heard["t0-04"] == [] and ["t0-04"] in data["processes"]
    assert heard["t0-02"] == ["t0-01"]
    # The untouched submission shared one process for all nine exercises.
    assert [p for p in data["processes"] if p[0].startswith("t1-")] == [[f"t1-{ex.id}" for ex in chapter().exercises]]


def test_in_turn_gives_the_reports_of_one_process_per_exercise(tmp_path):
    """The same folders, graded in one batch and graded one by one (a process per exercise),
    get the same verdicts, messages and tests, word for word."""
    stub = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "exercises").glob("ex*.py")}
    half = copy_solutions(tmp_path / "half")
    for ex in chapter().exercises[4:]:
        (half / ex.file).write_text(stub[ex.file], encoding="utf-8")
    summed = copy_solutions(tmp_path / "summed")
    replace_function(summed, "mse_loss", "def mse_loss(y_pred, y):\n    return ((y_pred - y) ** 2).sum()\n")
    folders = [
        copy_solutions(tmp_path / "solved"),
        half,
        summed,
        folder_with(tmp_path, "exit_in_05", "05", body="import os\nos._exit(3)"),
        folder_with(tmp_path, "exit_at_import_06", "06", module="import os\nos._exit(0)"),
        folder_with(tmp_path, "crash_in_03", "03", body="import ctypes\nctypes.string_at(0)"),
        folder_with(tmp_path, "loop_in_04", "04", body="while True:\n    pass"),
        folder_with(tmp_path, "syntax_07", "07", module="def broken(:\n    pass"),
        folder_with(tmp_path, "tampering_02", "02", module="import torch\ntorch.allclose = lambda *a, **k: True"),
        folder_with(tmp_path, "interrupt_08", "08", body="raise KeyboardInterrupt"),
    ]
    batch = grade(folders)
    alone = grade(folders, alone=True)
    for folder, together, apart in zip(folders, batch["reports"], alone["reports"]):
        assert verdicts(together) == verdicts(apart), folder.name
    assert_confirmed_alone(batch)
    # Every exercise was heard of exactly once, and the batch needed far fewer processes.
    assert sorted(h["key"] for h in batch["heard"]) == sorted(
        f"t{n}-{ex.id}" for n in range(len(folders)) for ex in chapter().exercises)
    assert len(batch["processes"]) < len(alone["processes"]) / 2, (len(batch["processes"]), len(alone["processes"]))


def test_events_for_another_exercise_are_not_taken(tmp_path):
    """A copy of the process that learner code forked may go on reporting the exercise it was
    forked in; once the process has moved on, those reports count for nothing."""
    from collections import deque

    from kata import runner

    jobs = [runner.Job(key=f"t0-{i}", exercise=chapter().find(i), target=tmp_path) for i in ("02", "03")]
    a = runner._Active(jobs[0], pid=0, started=0.0, key=jobs[0].key, rest=deque(jobs[1:]))
    events = [
        {"event": "start", "name": "test_one", "exercise": "02"},
        {"event": "test", "name": "test_one", "status": "pass", "exercise": "02"},
        {"event": "done", "exercise": "02"},
        {"event": "test", "name": "test_one", "status": "pass", "exercise": "02"},  # the copy
        {"event": "done", "exercise": "02"},
        {"event": "start", "name": "test_two", "exercise": "03"},
    ]
    work = runner.Runner(timeout=1)
    try:
        work._take(a, [json.dumps(e).encode() for e in events])
    finally:
        work.close()
    assert [(job.key, outcome.ended, len(outcome.records)) for job, outcome in a.finished] == [("t0-02", "done", 1)]
    assert a.job is jobs[1] and a.events == [events[-1]]
