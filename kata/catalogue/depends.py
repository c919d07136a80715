"""Which exercises of a chapter use which: read from the relative imports of a folder's exercise
files (`from .ex04_mse_loss import mse_loss`), without running anything."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from pathlib import Path

from .course import Chapter, Exercise, course
from .stubs import pristine_stub

# Every relative import has `from` then a dot in its source (spaces or a line continuation
# may come between); a file without that imports no other exercise, and is not parsed at all.
_RELATIVE = re.compile(rb"\bfrom[\s\\]*\.")


def _imported(nodes: Iterable[ast.AST], chapter: Chapter) -> set[str]:
    """The ids of the chapter's exercises that the relative imports among `nodes` name."""
    by_stem = {e.stem: e.id for e in chapter.exercises}
    return {by_stem[n.module] for n in nodes
            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module in by_stem}


def imports(folder: Path, chapter: Chapter) -> dict[str, set[str]]:
    """Exercise id -> the ids of the chapter's exercises that its file in `folder` imports directly."""
    found: dict[str, set[str]] = {}
    for ex in chapter.exercises:
        try:
            source = (folder / ex.file).read_bytes()
            if not _RELATIVE.search(source):
                found[ex.id] = set()
                continue
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        found[ex.id] = _imported(ast.walk(tree), chapter) - {ex.id}
    return found


def needs(folder: Path, chapter: Chapter) -> dict[str, set[str]]:
    """Exercise id -> every exercise it uses, directly or through others."""
    direct = imports(folder, chapter)

    def reach(ex_id: str, seen: set[str]) -> set[str]:
        for dep in direct.get(ex_id, ()):
            if dep not in seen:
                seen.add(dep)
                reach(dep, seen)
        return seen

    return {ex_id: reach(ex_id, set()) for ex_id in direct}


@functools.cache  # asked for each exercise of each submission in a batch
def uses(ex: Exercise) -> tuple[Exercise, ...]:
    """The exercises of its chapter whose functions `ex` imports, as its untouched stub does."""
    chapter = course().chapter_of(ex)
    found = _imported(ast.parse(pristine_stub(ex)).body, chapter)
    return tuple(e for e in chapter.exercises if e.id in found)
