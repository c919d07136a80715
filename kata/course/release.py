"""The student release: the kata as students receive it, for the whole course or some chapters.
It holds no solutions: the tests never need them, and `reset` restores a stub from the copies
kept in kata/stubs/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .. import ROOT
from ..catalogue.course import METADATA, Chapter, metadata_for
from ..catalogue.stubs import pristine_stub
from ..grading import manifest
from .classroom import WORKFLOW_PATH, workflow_text
from ..grading.audit import HIDDEN_CHECKS, hidden_checks
from .hidden import strip_hidden
from .student_readme import student_readme

# Copied as they are, when present.
TOP_FILES = ("grader.py", "pyproject.toml", ".gitignore")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
# kata/stubs/ is written afresh from the pristine stubs.
KATA_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "stubs")


def copy_grader(dest: Path, chapters: list[Chapter], root: Path = ROOT) -> None:
    """The grader (kata/) with the metadata of `chapters` only, grader.py and pyproject.toml."""
    for name in TOP_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, dest / name)
    shutil.copytree(root / "kata", dest / "kata", ignore=KATA_IGNORED)
    metadata = dest / METADATA.relative_to(ROOT)
    metadata.write_text(metadata_for(chapters, metadata.read_text(encoding="utf-8")), encoding="utf-8")


def write_stubs(dest: Path, chapters: list[Chapter], root: Path = ROOT, exercises: bool = True) -> None:
    """Pristine stubs in kata/stubs/ (what `reset` restores) and, with `exercises`, in exercises/."""
    for folder in [dest / "kata" / "stubs"] + ([dest / "exercises"] if exercises else []):
        for ex in (e for c in chapters for e in c.exercises):
            (folder / ex.folder).mkdir(parents=True, exist_ok=True)
            (folder / ex.path).write_text(pristine_stub(ex, root), encoding="utf-8")
    init = root / "exercises" / "__init__.py"
    if exercises and init.is_file():
        shutil.copy2(init, dest / "exercises" / "__init__.py")


def copy_tests(dest: Path, chapters: list[Chapter], root: Path = ROOT, keep_hidden: bool = False) -> tuple[int, int]:
    """The shared test helpers and the test folders of `chapters` into dest/tests/, without the
    hidden checks (and tests) unless `keep_hidden`; (test modules, hidden checks and tests left out)."""
    (dest / "tests").mkdir()
    for path in (root / "tests").glob("*.py"):
        shutil.copy2(path, dest / "tests" / path.name)
    modules = hidden = 0
    for chapter in chapters:
        shutil.copytree(root / "tests" / chapter.folder, dest / "tests" / chapter.folder, ignore=IGNORED)
        checks = dest / "tests" / chapter.folder / HIDDEN_CHECKS
        if checks.is_file() and not keep_hidden:
            hidden += len(hidden_checks(checks))
            checks.unlink()
        for path in sorted((dest / "tests" / chapter.folder).glob("test_*.py")):
            modules += 1
            text, removed = ("", 0) if keep_hidden else strip_hidden(path.read_text(encoding="utf-8"))
            if removed:
                path.write_text(text, encoding="utf-8")
                hidden += removed
    return modules, hidden


def build_release(out: Path, chapters: list[Chapter], root: Path = ROOT) -> tuple[int, int]:
    """Write the student release of `chapters` to `out`, a missing or empty folder, all or nothing;
    (test modules, hidden tests left out)."""
    work = Path(tempfile.mkdtemp(prefix=".kata-release-", dir=out.parent))
    try:
        copy_grader(work, chapters, root)
        write_stubs(work, chapters, root)
        counts = copy_tests(work, chapters, root)
        (work / "README.md").write_text(student_readme(chapters), encoding="utf-8")
        workflow = work / WORKFLOW_PATH
        workflow.parent.mkdir(parents=True)
        workflow.write_text(workflow_text(chapters), encoding="utf-8")
        manifest.write(work)
        if out.exists():
            for item in work.iterdir():
                os.rename(item, out / item.name)
            work.rmdir()
        else:
            os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return counts
