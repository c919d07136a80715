"""The grader grades the learner's files as they are now."""

import importlib.util
import json
import os
import py_compile

from conftest import run_grader

RIGHT = "    return ((y_pred - y) ** 2).mean()"
WRONG = "    return ((y_pred - y) ** 3).mean()"


def test_a_stale_pycache_is_never_used(solved, tmp_path):
    """`python -m exercises...` leaves compiled files behind; an edit that keeps the file's size
    and modification second must still be graded as it is now."""
    path = solved / "ch1_autograd" / "ex04_mse_loss.py"
    right = path.read_text(encoding="utf-8")
    assert RIGHT in right
    path.write_text(right.replace(RIGHT, WRONG), encoding="utf-8")
    py_compile.compile(str(path), cfile=importlib.util.cache_from_source(str(path)), doraise=True)
    stamp = path.stat().st_mtime_ns
    path.write_text(right, encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))

    out = tmp_path / "result.json"
    run = run_grader("check", "mse_loss", "--target", str(solved), "--json", str(out))
    assert run.returncode == 0, run.stdout
    assert json.loads(out.read_text())["exercises"][0]["status"] == "pass"
