"""The Gradescope autograder bundle: a .zip with setup.sh and run_autograder at its root, and
the grader with every test (hidden ones included) beside them. Gradescope unpacks it into
/autograder/source, runs setup.sh once to build the image, then run_autograder for every
submission; each script's first lines say what it does.
"""

from __future__ import annotations

import io
import tempfile
import tomllib
import zipfile
from pathlib import Path

from .. import ROOT
from ..catalogue.course import Chapter
from ..files import write_atomically
from ..grading import manifest
from .release import copy_grader, copy_tests, write_stubs

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder: Python 3.11 or newer (installed on
# Ubuntu 22.04 or newer when the image has none) and the kata's dependencies, in a virtual environment.
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

stop() {
  echo "setup.sh: $1" >&2
  echo "setup.sh: choose Gradescope's Ubuntu 22.04 base image, or a newer Ubuntu, on the Configure Autograder page." >&2
  exit 1
}

# "22.04" on Ubuntu, nothing elsewhere.
ubuntu="$( (. /etc/os-release && [ "${ID:-}" = ubuntu ] && echo "${VERSION_ID:-}") 2>/dev/null || true)"

python="$(find_python || true)"
if [ -z "$python" ]; then
  case "$ubuntu" in
    2[2-9].*|[3-9]?.*) ;;
    *) stop "this image has no Python 3.11 or newer, and setup.sh installs one only on Ubuntu 22.04 or newer." ;;
  esac
  apt-get update
  # Ubuntu 22.04's own Python is 3.10; its universe section has 3.11 (a release candidate of 3.11.0).
  package="$([ "${ubuntu%%.*}" = 22 ] && echo python3.11 || echo python3)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" "$package-venv"
  python="$(find_python)" || stop "Python 3.11 or newer was installed, but cannot be found."
fi
if ! "$python" -m venv "$root/venv"; then
  # Debian and Ubuntu ship venv separately.
  command -v apt-get >/dev/null 2>&1 ||
    stop "$python cannot make a virtual environment, and there is no apt-get to install venv."
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$python")-venv"
  "$python" -m venv "$root/venv"
fi
"$root/venv/bin/python" -m pip install --upgrade pip
# PyTorch's CPU build: the kata needs no GPU, and it is a far smaller download.
"$root/venv/bin/python" -m pip install torch --index-url https://download.pytorch.org/whl/cpu
"$root/venv/bin/python" -m pip install -r "$source_dir/requirements.txt"
# Learner code runs as nobody (see run_autograder): it imports from here, and may change nothing.
chmod -R a+rX,go-w "$root/venv"
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this as root for every submission: it grades /autograder/submission with every
# test, hidden ones included, the submission's code running as the unprivileged user nobody, and
# always writes /autograder/results/results.json. AUTOGRADER_ROOT stands in for /autograder.
set -uo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
results="$root/results"
mkdir -p "$results"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/grader.log"
# The grader's scratch folders go here, and its error report if it fails.
export TMPDIR="$work"

# When the grader cannot run, a results.json with no points that says why (Gradescope would only say that
# "the autograder failed to execute"): the reason, then the end of what the grader wrote, in ASCII, for JSON.
give_up() {
  echo "run_autograder: $1"
  local output
  output="$( { echo "The autograder could not grade this submission, and this is not caused by your work:" \
                    "$1 Please tell your instructor; the details below are for them."; echo;
               tail -c 3000 "$log"; tail -c 3000 "$TMPDIR/kata-grader-error.txt" 2>/dev/null; } |
             LC_ALL=C tr -cd '\11\12\40-\176' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' |
             awk '{printf "%s\\n", $0}')"
  printf '{"score": 0, "execution_time": %d, "output": "%s", "output_format": "text", "tests": []}\n' \
    "$SECONDS" "$output" > "$results/results.json"
}

as_learner=""
if [ "$(id -u)" = 0 ]; then
  # The submission's code runs as the user nobody. The autograder's files and the results stay
  # root's: nobody cannot write them, nor read the tests, and reaches only its own scratch folder.
  chown -R root:root "$root/source" "$results"
  chmod -R go-w "$root/source" "$results"
  chmod o= "$root/source"
  chmod 711 "$work"
  # Chapter 3's digits are data that the submission's code reads: it reads a copy, root's, in the
  # scratch folder (the autograder's own folders may sit where nobody cannot pass).
  if [ -d "$root/source/kata/data" ]; then
    cp -R "$root/source/kata/data" "$work/data"
    chmod -R a+rX,go-w "$work/data"
    export KATA_DATA="$work/data"
  fi
  as_learner="--user nobody"
fi

python="$root/venv/bin/python"
[ -x "$python" ] || python="$(command -v python3)"
if [ -z "$python" ]; then
  give_up "no Python was found (setup.sh makes $root/venv when the autograder is built)."
  exit 0
fi
"$python" "$root/source/grader.py" grade "$root/submission" --out "$work/out" --timeout @TIMEOUT@ $as_learner \
  >"$log" 2>&1
status=$?
cat "$log"
if [ "$status" -eq 0 ] && [ -f "$work/out/submission/results.json" ]; then
  cp "$work/out/submission/results.json" "$results/results.json"
else
  give_up "the grader stopped (exit status $status) before it wrote the results."
fi
"""


def build_bundle(path: Path, timeout: float, chapters: list[Chapter], root: Path = ROOT) -> int:
    """Write the bundle of `chapters` to `path` (replacing a file there); the number of files in it."""
    with tempfile.TemporaryDirectory(prefix="kata-gradescope-") as tmp:
        staged = Path(tmp)
        copy_grader(staged, chapters, root)
        write_stubs(staged, chapters, root, exercises=False)
        copy_tests(staged, chapters, root, keep_hidden=True)
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        (staged / "requirements.txt").write_text("\n".join(project["dependencies"]) + "\n", encoding="utf-8")
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.replace("@TIMEOUT@", f"{timeout:g}"))):
            (staged / name).write_text(text, encoding="utf-8")
            (staged / name).chmod(0o755)
        manifest.write(staged)
        files = sorted(p for p in staged.rglob("*") if p.is_file())
        bundle = io.BytesIO()
        with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in files:
                zf.write(file, file.relative_to(staged).as_posix())
    write_atomically(path, bundle.getvalue())
    return len(files)
