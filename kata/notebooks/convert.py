"""Notebooks as something to grade: their marked answer cells become exercise files.

To grade a notebook, or a folder of them (a chapter's, or one laid out like notebooks/ with a
folder per chapter), the answer cells of each exercise (marked as kata.notebooks.build marks
them) are written under the imports of the untouched exercise file to a scratch folder laid out
like exercises/, graded like any other; the target records where each line came from, so
reports name the notebook and the cell.
"""

from __future__ import annotations

import ast
import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .. import UsageError
from ..catalogue.course import Exercise, course
from ..catalogue.stubs import pristine_stub
from ..grading.target import Origin, Target, display_name


def header_imports(ex: Exercise) -> list[ast.stmt]:
    """The import statements of the untouched exercise file: what every answer runs under."""
    return [n for n in ast.parse(pristine_stub(ex)).body if isinstance(n, (ast.Import, ast.ImportFrom))]


def read_notebook(path: Path) -> tuple[dict | None, str | None]:
    """(the notebook, None) or (None, what is wrong with it, in plain words)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, f"it could not be read ({e.strerror or e})"
    if not data.strip():
        return None, "it is empty"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "it is not UTF-8 text, so it is not a notebook Jupyter saved"
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as e:
        where = f" (line {e.lineno}, column {e.colno})" if hasattr(e, "lineno") else ""
        return None, f"it is not valid JSON{where}, so it is not a notebook Jupyter saved"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", nb.get("worksheets")), list):
        return None, "it is JSON but not a Jupyter notebook (it has no list of cells)"
    if nb.get("nbformat") != 4 or "cells" not in nb:
        return None, (f"it is in an old notebook format (version {nb.get('nbformat')}); "
                      "open it in a current Jupyter and save it again")
    return nb, None


def cell_source(cell: dict) -> str:
    """A cell's text, whether the notebook keeps it as one string or as a list of lines."""
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def answer_cells(path: Path) -> tuple[dict[str, list[str]], str | None]:
    """(exercise id -> the sources of its answer cells, in notebook order; None) for the
    notebook at `path`, or ({}, what keeps it from being graded)."""
    nb, problem = read_notebook(path)
    ids = {e.id for e in course().exercises}
    found: dict[str, list[str]] = {}
    for cell in (nb or {}).get("cells", []):
        metadata = cell.get("metadata") if isinstance(cell, dict) and cell.get("cell_type") == "code" else None
        mark = metadata.get("kata") if isinstance(metadata, dict) else None
        if isinstance(mark, dict) and mark.get("role") == "answer" and mark.get("exercise") in ids:
            found.setdefault(mark["exercise"], []).append(cell_source(cell))
    if nb is not None and not found:
        problem = ("it has no cells marked as answers (the cell metadata that "
                   "`python grader.py notebooks` writes is missing)")
    return found, problem


def write_exercise(dest: Path, ex: Exercise, cells: list[str], notebook: str) -> Origin:
    """Write `ex`'s file, the answer `cells` under the exercise's imports, into
    dest/<its chapter folder>/; where each cell went."""
    lines = [ast.unparse(n) for n in header_imports(ex)] + ["", ""]
    spans = []
    for n, source in enumerate(cells, 1):
        body = source.splitlines() or [""]
        label = "your code cell" if len(cells) == 1 else f"your code cell {n}"
        spans.append((len(lines) + 1, len(lines) + len(body), label))
        lines += body + ["", ""]
    (dest / ex.folder).mkdir(parents=True, exist_ok=True)
    (dest / ex.path).write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
    return Origin(notebook, tuple(spans))


def _notebooks(source: Path) -> list[Path]:
    """The notebook `source`, or those in the folder `source` and in its chapter folders."""
    if source.is_file():
        return [source]
    folders = [source, *(source / c.folder for c in course().chapters)]
    return [p for f in folders if f.is_dir() for p in sorted(f.iterdir()) if p.suffix == ".ipynb" and p.is_file()]


def notebooks_to_folder(source: Path, dest: Path) -> tuple[dict[str, Origin], dict[str, str]]:
    """Write an exercise file into `dest` (laid out like exercises/) for every exercise found in
    the notebook `source`, or in the notebooks of the folder `source` and of its chapter
    folders. Returns where each came from ({Exercise.path: Origin}) and what is wrong with each
    notebook that could not be used ({its name: why})."""
    base = source if source.is_dir() else source.parent

    def shown(path: Path) -> str:
        return path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name

    problems: dict[str, str] = {}
    taken: dict[str, tuple[Path, list[str]]] = {}
    for path in _notebooks(source):
        found, problem = answer_cells(path)
        if problem is not None:
            problems[shown(path)] = problem
        for ex_id, cells in found.items():
            if ex_id in taken:  # the notebook named for the exercise wins, else the first
                first = taken[ex_id][0]
                keep, other = (path, first) if path.name == f"{course().find(ex_id).stem}.ipynb" else (first, path)
                problems[shown(other)] = f"exercise {ex_id} is also in {keep.name}, which is graded instead"
                if keep is first:
                    continue
            taken[ex_id] = (path, cells)
    origins = {}
    for ex_id, (path, cells) in taken.items():
        ex = course().find(ex_id)
        origins[ex.path] = write_exercise(dest, ex, cells, shown(path))
    return origins, problems


def is_notebook_target(path: Path) -> bool:
    """A notebook file, or a folder with notebooks (itself or in its chapter folders) and none of the exercise files."""
    if path.is_file():
        return path.suffix == ".ipynb"
    folders = [path, *(path / c.folder for c in course().chapters)]
    return (path.is_dir() and not any((f / ex.file).exists() for f in folders for ex in course().exercises)
            and bool(_notebooks(path)))


def _attributed(ex: Exercise, name: str) -> bool:
    return Path(name).name.startswith((ex.stem, f"ex{ex.id}"))


def why_absent(ex: Exercise, folder: str, problems: dict[str, str]) -> str:
    """Why no code for `ex` came from the notebooks in `folder`, and what to do about it."""
    bad = next((name for name in problems if _attributed(ex, name)), None)
    make = f"`python grader.py notebooks --out {folder}` (notebooks you have changed are kept)"
    if bad is not None:
        return (f"{bad} could not be graded: {problems[bad]}. Open it in Jupyter and save it "
                f"again, or make a fresh one with {make}.")
    others = "".join(f" ({name} was not used: {why}.)" for name, why in problems.items()
                     if not any(_attributed(e, name) for e in course().exercises))
    return (f"There is no notebook for exercise {ex.id} ({ex.name}) in {folder}: expected "
            f"{ex.stem}.ipynb. Make it with {make}.{others}")


@contextlib.contextmanager
def notebook_target(path: Path, chosen: list[Exercise]) -> Iterator[tuple[Target, list[Exercise]]]:
    """A notebook, or a folder of them, as a target to grade, with the exercises to grade in it.

    A single notebook is graded for the exercises it holds; the earlier exercises it uses
    come from the notebooks beside it, as they do when its own check cell runs."""
    folder = path if path.is_dir() else path.parent
    own, mine = {}, []
    if path.is_file():
        own, problem = answer_cells(path)
        mine = [e for e in course().exercises if e.id in own]
        if not mine:
            raise UsageError(f"cannot grade '{path.name}': {problem}")
        chosen = [e for e in chosen if e in mine]
        if not chosen:
            raise UsageError(f"'{path.name}' holds exercise {', '.join(e.label for e in mine)} only")
    with tempfile.TemporaryDirectory(prefix="kata-notebooks-") as tmp:
        work = Path(tmp)
        origins, problems = notebooks_to_folder(folder, work)
        for ex in mine:  # this notebook's own cells win over any other copy
            origins[ex.path] = write_exercise(work, ex, own[ex.id], path.name)
        if mine:
            chapters = sorted({e.folder for e in mine})
        else:
            chapters = [c.folder for c in course().chapters
                        if any(o.split("/")[0] == c.folder for o in origins) or (path / c.folder).is_dir()]
            chapters = chapters or [c.folder for c in course().chapters]
        shown = display_name(folder)
        absent = {ex.path: why_absent(ex, shown, problems)
                  for ex in course().exercises if ex.folder in chapters and ex.path not in origins}
        target = Target(shown, {c: work / c for c in chapters}, origins=origins, absent=absent)
        yield target, [ex for ex in chosen if target.holds(ex)]
