"""The Gradescope autograder bundle: a .zip with setup.sh and run_autograder at its root,
and the grader with every test (hidden ones included) beside them.

Gradescope unpacks the bundle into /autograder/source, runs setup.sh once to build the
image, then run_autograder for every submission (in /autograder/submission), which must
write /autograder/results/results.json. run_autograder reads the root from
AUTOGRADER_ROOT when it is set, so the same script runs anywhere laid out like /autograder.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
import zipfile
from pathlib import Path

from .. import ROOT, UsageError
from ..catalogue.course import Chapter
from ..grading import manifest
from .release import copy_grader, copy_tests, write_stubs

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder: it installs Python 3.11 or newer
# (if the image has none) and the kata's dependencies into a virtual environment.
set -euo pipefail
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${AUTOGRADER_ROOT:-/autograder}"

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

python="$(find_python || true)"
if [ -z "$python" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
  python="$(find_python)"
fi
if ! "$python" -m venv "$root/venv"; then
  # Debian and Ubuntu ship venv separately.
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$python")-venv"
  "$python" -m venv "$root/venv"
fi
"$root/venv/bin/python" -m pip install --upgrade pip
# PyTorch's CPU build: the kata needs no GPU, and it is a far smaller download.
"$root/venv/bin/python" -m pip install torch --index-url https://download.pytorch.org/whl/cpu
"$root/venv/bin/python" -m pip install -r "$source_dir/requirements.txt"
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades /autograder/submission with the
# kata's own tests (hidden ones included) and writes /autograder/results/results.json.
# AUTOGRADER_ROOT stands in for /autograder, to run the autograder in the same layout elsewhere.
set -euo pipefail
root="${{AUTOGRADER_ROOT:-/autograder}}"
python="$root/venv/bin/python"
[ -x "$python" ] || python="$(command -v python3)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$root/results"
"$python" "$root/source/grader.py" grade "$root/submission" --out "$work" --timeout {timeout:g}
cp "$work/submission/results.json" "$root/results/results.json"
"""


def requirements(root: Path = ROOT) -> str:
    """The kata's dependencies, one a line, from pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return "\n".join(project["dependencies"]) + "\n"


def check_destination(path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"cannot write the bundle to '{path}': it is a folder; give a file name like autograder.zip")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write the bundle to '{path}': the folder '{path.parent}' does not exist")
    if not os.access(path.parent, os.W_OK):
        raise UsageError(f"cannot write the bundle to '{path}': permission denied")


def stage(dest: Path, timeout: float, chapters: list[Chapter], root: Path = ROOT) -> None:
    """Lay out the bundle's files in `dest`: the grader and every test of `chapters`."""
    copy_grader(dest, chapters, root)
    write_stubs(dest, chapters, root, exercises=False)
    copy_tests(dest, chapters, root, keep_hidden=True)
    (dest / "requirements.txt").write_text(requirements(root), encoding="utf-8")
    for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(timeout=timeout))):
        (dest / name).write_text(text, encoding="utf-8")
        (dest / name).chmod(0o755)
    manifest.write(dest)


def build_bundle(path: Path, timeout: float, chapters: list[Chapter], root: Path = ROOT) -> int:
    """Write the bundle of `chapters` to `path` (replacing a file there); the number of files in it."""
    check_destination(path)
    with tempfile.TemporaryDirectory(prefix="kata-gradescope-") as tmp:
        staged = Path(tmp) / "bundle"
        staged.mkdir()
        stage(staged, timeout, chapters, root)
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.close(fd)
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                for file in files:
                    zf.write(file, file.relative_to(staged).as_posix())
            os.chmod(partial, 0o644)
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return len(files)

