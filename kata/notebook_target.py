"""Notebooks as something to grade: their marked answer cells become exercise files.

A notebook made by `python grader.py notebooks` marks the cells the learner writes in
(cell metadata `{"kata": {"exercise": "04", "role": "answer"}}`). To grade a notebook, or
a folder of them, each exercise's answer cells are written, under the imports of the
untouched exercise file, to a scratch folder laid out like exercises/. That folder is
graded like any other, with the same tests, isolation and time limit, and the messages
then name the notebook and the cell instead of the scratch file.
"""

from __future__ import annotations

import ast
import json
import re
import tempfile
from dataclasses import replace
from pathlib import Path

from .meta import Exercise, chapter
from .stubs import pristine_stub
from .target import UsageError, display_name
from .verdict import ExerciseResult, RunResult

# Beside the exercise files in a converted folder: which notebook and cell each line came from.
SOURCES = ".kata-notebooks.json"
ANSWER = "answer"


def header_imports(ex: Exercise) -> list[ast.stmt]:
    """The import statements of the untouched exercise file: what every answer runs under."""
    tree = ast.parse(pristine_stub(ex))
    return [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]


def header(ex: Exercise) -> str:
    """The exercise's imports as source lines, exactly as the exercise file has them."""
    return "\n".join(ast.unparse(n) for n in header_imports(ex))


def earlier_names(ex: Exercise) -> list[str]:
    """The earlier exercises' functions this one imports (relative imports of its file)."""
    names = []
    for node in header_imports(ex):
        if isinstance(node, ast.ImportFrom) and node.level:
            names += [a.asname or a.name for a in node.names]
    return names


def needed(ex: Exercise) -> list[Exercise]:
    """The earlier exercises whose functions `ex` uses."""
    names = earlier_names(ex)
    return [e for e in chapter().exercises if e.name in names]


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


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def answer_cells(nb: dict) -> dict[str, list[str]]:
    """Exercise id -> the sources of its answer cells, in notebook order."""
    found: dict[str, list[str]] = {}
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        mark = metadata.get("kata") if isinstance(metadata, dict) else None
        if not isinstance(mark, dict) or mark.get("role") != ANSWER:
            continue
        ex = next((e for e in chapter().exercises if e.id == mark.get("exercise")), None)
        if ex is not None:
            found.setdefault(ex.id, []).append(_source(cell))
    return found


def cell_label(number: int, count: int) -> str:
    return "your code cell" if count == 1 else f"your code cell {number}"


def exercise_file(ex: Exercise, cells: list[str]) -> tuple[str, list[list]]:
    """The exercise file made of `cells` under the exercise's imports, and where each cell went:
    [first line, last line, label] per cell."""
    lines = header(ex).splitlines() + ["", ""]
    spans = []
    for n, source in enumerate(cells, 1):
        body = source.splitlines() or [""]
        spans.append([len(lines) + 1, len(lines) + len(body), cell_label(n, len(cells))])
        lines += body + ["", ""]
    return "\n".join(lines).rstrip("\n") + "\n", spans


def _notebooks(source: Path) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.suffix == ".ipynb" and p.is_file())
    return [source]


def write_exercise(dest: Path, ex: Exercise, cells: list[str], notebook: str) -> None:
    """Write `ex`'s file into dest and note where its lines came from."""
    text, spans = exercise_file(ex, cells)
    (dest / ex.file).write_text(text, encoding="utf-8")
    sources = read_sources(dest)
    sources[ex.file] = {"notebook": notebook, "cells": spans}
    (dest / SOURCES).write_text(json.dumps(sources, indent=1), encoding="utf-8")


def forget(dest: Path, ex: Exercise) -> None:
    """Remove `ex`'s file, and the note of where it came from, from a converted folder."""
    (dest / ex.file).unlink(missing_ok=True)
    sources = read_sources(dest)
    if sources.pop(ex.file, None) is not None:
        (dest / SOURCES).write_text(json.dumps(sources, indent=1), encoding="utf-8")


def read_sources(folder: Path) -> dict:
    try:
        data = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def notebooks_to_folder(source: Path, dest: Path) -> dict[str, str]:
    """Write an exercise file into `dest` for every exercise found in the notebook `source`,
    or in the notebooks of the folder `source`. Returns {notebook file name: what is wrong}
    for the notebooks that could not be used (not JSON, not a notebook, no marked cells, a
    second notebook for an exercise already taken from another)."""
    dest.mkdir(parents=True, exist_ok=True)
    problems: dict[str, str] = {}
    taken: dict[str, tuple[Path, list[str]]] = {}
    for path in _notebooks(source):
        problem = problem_of(path)
        if problem is not None:
            problems[path.name] = problem
            continue
        for ex_id, cells in answer_cells(read_notebook(path)[0]).items():
            ex = chapter().find(ex_id)
            if ex_id in taken:
                first, _ = taken[ex_id]
                keep, other = (path, first) if path.name == f"{ex.stem}.ipynb" else (first, path)
                problems[other.name] = (f"exercise {ex_id} is also in {keep.name}, which is "
                                        "graded instead")
                if keep is first:
                    continue
            taken[ex_id] = (path, cells)
    for ex_id, (path, cells) in taken.items():
        write_exercise(dest, chapter().find(ex_id), cells, path.name)
    return problems


# --- grading -------------------------------------------------------------------------


def is_notebook_target(path: Path) -> bool:
    """A notebook file, or a folder with notebooks and none of the exercise .py files."""
    if path.is_file():
        return path.suffix == ".ipynb"
    if not path.is_dir():
        return False
    has_py = any((path / ex.file).exists() for ex in chapter().exercises)
    return not has_py and any(p.suffix == ".ipynb" for p in path.iterdir())


def _attributed(ex: Exercise, name: str) -> bool:
    return name.startswith(ex.stem) or name.startswith(f"ex{ex.id}")


def problem_of(path: Path) -> str | None:
    """What keeps the notebook at `path` from being graded, or None."""
    nb, problem = read_notebook(path)
    if problem is None and not answer_cells(nb):
        problem = ("it has no cells marked as answers (the cell metadata that "
                   "`python grader.py notebooks` writes is missing)")
    return problem


def why_absent(ex: Exercise, folder: str, problems: dict[str, str]) -> str:
    """Why no code for `ex` came from the notebooks in `folder`, and what to do about it."""
    bad = next((name for name in problems if _attributed(ex, name)), None)
    make = f"`python grader.py notebooks --out {folder}` (notebooks you have changed are kept)"
    if bad is not None:
        return (f"{bad} could not be graded: {problems[bad]}. Open it in Jupyter and save it "
                f"again, or make a fresh one with {make}.")
    others = "".join(f" ({name} was not used: {why}.)" for name, why in problems.items()
                     if not any(_attributed(e, name) for e in chapter().exercises))
    return (f"There is no notebook for exercise {ex.id} ({ex.name}) in {folder}: expected "
            f"{ex.stem}.ipynb. Make it with {make}.{others}")


_FILE_LINE = re.compile(r"\b(ex\d\d_\w+)\.py(?:, line (\d+))?")


def relabeller(sources: dict, this: str | None = None):
    """A function that rewrites `exNN_name.py, line N` into the notebook and cell it came from.

    `this` is the exercise file whose code comes from the running notebook itself."""

    def one(m: re.Match) -> str:
        file = f"{m.group(1)}.py"
        info = sources.get(file)
        if info is None:
            return m.group(0)
        place = "your code cell" if file == this else info["notebook"]
        if m.group(2) is None:
            return place
        line = int(m.group(2))
        for first, last, label in info["cells"]:
            if first <= line <= last:
                at = f"line {line - first + 1}"
                return f"{place}, {at}" if file == this else f"{place}, {label}, {at}"
        return f"{place} (in the imports the grader adds)"

    return lambda text: _FILE_LINE.sub(one, text) if text else text


def relabel(result: ExerciseResult, sources: dict, this: str | None = None) -> ExerciseResult:
    """`result` with its file, messages and location in terms of notebooks and cells."""
    fix = relabeller(sources, this)
    info = sources.get(result.exercise.file)
    return replace(
        result,
        file=info["notebook"] if info else f"{result.exercise.stem}.ipynb",
        message=fix(result.message),
        where=fix(result.where),
        tests=[replace(t, message=fix(t.message)) for t in result.tests],
    )


def _replaced(result: ExerciseResult, message: str) -> ExerciseResult:
    """`result` as an error with `message`, for code that was missing rather than wrong."""
    tests = [replace(t, status="error", message=message) for t in result.tests]
    return replace(result, status="error", score=0.0, message=message, tests=tests, where="",
                   file=f"{result.exercise.stem}.ipynb")


def _judged(r: ExerciseResult, sources: dict, folder: str, problems: dict[str, str]) -> ExerciseResult:
    if r.exercise.file not in sources:
        return _replaced(r, why_absent(r.exercise, folder, problems))
    absent = [e for e in needed(r.exercise) if e.file not in sources]
    if absent and r.status == "error":
        first = absent[0]
        return _replaced(r, f"{r.exercise.name} uses {first.name} from exercise {first.id}. "
                            + why_absent(first, folder, problems))
    return relabel(r, sources)


def _single(target: Path, exercises: list[Exercise], work: Path) -> tuple[list[Exercise], dict]:
    """Convert one notebook, with the earlier exercises from the notebooks beside it."""
    mine = [e for e in chapter().exercises if e.id in answer_cells(read_notebook(target)[0] or {})]
    if not mine:
        raise UsageError(f"cannot grade '{target.name}': {problem_of(target)}")
    if len(exercises) < len(chapter().exercises):
        asked = [e for e in exercises if e in mine]
        if not asked:
            raise UsageError(f"'{target.name}' holds exercise "
                             f"{', '.join(f'{e.id} ({e.name})' for e in mine)} only")
        mine = asked
    problems = notebooks_to_folder(target.parent, work)
    for ex in mine:
        forget(work, ex)
    problems.update(notebooks_to_folder(target, work))
    return mine, problems


def grade(target: Path, exercises: list[Exercise], *, timeout: float,
          isolation: str | None = None) -> RunResult:
    """Grade a notebook, or a folder of notebooks, as if it were a folder laid out like exercises/.

    A single notebook is graded for the exercises it holds; the earlier exercises it uses
    come from the notebooks beside it, as they do when its own check cell runs."""
    from .engine import grade_once

    folder = display_name(target if target.is_dir() else target.parent)
    with tempfile.TemporaryDirectory(prefix="kata-notebooks-") as tmp:
        work = Path(tmp) / "target"
        if target.is_dir():
            problems = notebooks_to_folder(target, work)
        else:
            exercises, problems = _single(target, exercises, work)
        run = grade_once(work, exercises, timeout=timeout, isolation=isolation)
        sources = read_sources(work)
    run.exercises = [_judged(r, sources, folder, problems) for r in run.exercises]
    run.target = folder
    return run
