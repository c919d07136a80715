"""Jupyter notebooks made from the exercise files, one per exercise.

A notebook is built from two sources only: the exercise's `.py` file in the folder it is
made from (the lesson in its module docstring, the function and its contract, the example
run at its end) and the course's metadata (the concept in a sentence). Nothing is written twice.

Cells the grader needs are marked in their metadata, `{"kata": {"exercise": "04",
"role": "answer"}}`; the notebook's own metadata keeps a fingerprint of what was
generated, so that regenerating never overwrites a notebook a learner has changed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import v4

from ..catalogue.course import Exercise
from ..catalogue.depends import uses
from ..catalogue.stubs import STUB_MARK
from ..files import BACKUPS, backup, write_atomically
from ..grading.runner import DEFAULT_TIMEOUT
from ..grading.target import Target, display_name
from .convert import header_imports

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


# --- the parts of an exercise file ---------------------------------------------------


@dataclass(frozen=True)
class Parts:
    lesson: str  # the module docstring
    contract: str  # the function's docstring
    answer: str  # the code the learner writes: the function, and anything they added
    example: str  # the body of `if __name__ == "__main__":`, run as "Try it"


def _is_script_guard(node: ast.stmt) -> bool:
    """`if not __package__:`, which tells a learner who runs the file as a script how to run it."""
    return (isinstance(node, ast.If) and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
            and isinstance(node.test.operand, ast.Name) and node.test.operand.id == "__package__")


def _is_main_block(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
        and isinstance(node.test.left, ast.Name) and node.test.left.id == "__name__"
    )


def split(source: str, ex: Exercise) -> Parts:
    """Cut an exercise file into the parts a notebook shows. SyntaxError if it does not parse."""
    tree = ast.parse(source)
    lines = source.splitlines()
    keep = [True] * len(lines)
    pristine = {ast.unparse(n) for n in header_imports(ex)}
    example = ""
    lesson = ast.get_docstring(tree, clean=True) or ""
    contract = ""
    for i, node in enumerate(tree.body):
        drop = (
            (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
             and isinstance(node.value.value, str))
            or (isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) in pristine)
            or _is_main_block(node)
            or _is_script_guard(node)
        )
        if _is_main_block(node):
            body = lines[node.body[0].lineno - 1: node.end_lineno]
            example = textwrap.dedent("\n".join(body)).strip("\n")
        if isinstance(node, ast.FunctionDef) and node.name == ex.name:
            contract = ast.get_docstring(node, clean=True) or ""
        if drop:
            for n in range(node.lineno - 1, node.end_lineno):
                keep[n] = False
    answer = "\n".join(line for line, k in zip(lines, keep) if k)
    answer = re.sub(r"\n{3,}", "\n\n\n", answer).strip("\n")
    return Parts(lesson, contract, answer, example)


# --- from docstrings to markdown -----------------------------------------------------


def _is_terminal_advice(paragraph: str) -> bool:
    """Lines telling how to run the file in a terminal, which a notebook replaces."""
    return "python grader.py" in paragraph or "python -m exercises" in paragraph


def lesson_markdown(ex: Exercise, lesson: str) -> str:
    """The module docstring as a markdown lesson: its first line becomes the title."""
    first, _, rest = lesson.partition("\n")
    title = first.strip().rstrip(".") or f"Exercise {ex.id}: {ex.title}"
    paragraphs = [p for p in re.split(r"\n\s*\n", rest.strip("\n")) if p.strip()]
    body = "\n\n".join(p for p in paragraphs if not _is_terminal_advice(p))
    return f"# {title}\n\n{body}\n\n**In one sentence:** {ex.concept}"


def contract_markdown(ex: Exercise, contract: str, signature: str, stub: bool) -> str:
    """What the function must do, from its docstring, with its example as code."""
    todo = (
        "In the next cell, replace the two lines marked `EXERCISE` with your code."
        if stub else "The next cell holds the function."
    )
    out = [f"## Your code\n\n`{signature}`\n\n{todo} Only this cell is graded (under the "
           "imports of the first code cell), so keep everything your function needs in it."]
    for paragraph in re.split(r"\n\s*\n", contract.strip()):
        label, _, rest = paragraph.partition(":")
        lines = rest.strip().splitlines()
        if label in ("Example", "Read") and lines:
            width = len(label) + 2
            text = "\n".join([lines[0], *(line[width:] if line[:width].isspace() else line.strip()
                                          for line in lines[1:])])
            out.append(f"**Example:**\n\n```\n{text}\n```" if label == "Example"
                       else f"**Read:** {text}")
        else:
            out.append(paragraph)
    return "\n\n".join(out)


def _signature(source: str, ex: Exercise) -> str:
    """The function's `def` line as written, on one line, without `def` and the colon."""
    func = next((n for n in ast.parse(source).body
                 if isinstance(n, ast.FunctionDef) and n.name == ex.name), None)
    if func is None:  # a learner's file that lost its function still gets a notebook
        return f"{ex.name}(...)"
    lines = source.splitlines()[func.lineno - 1: func.body[0].lineno - 1]
    text = " ".join(line.strip() for line in lines).removeprefix("def ")
    text = re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", text))
    return text.rstrip().removesuffix(":")


# --- cells ---------------------------------------------------------------------------


def _mark(cell, ex: Exercise, role: str):
    cell["id"] = f"ex{ex.id}-{role}"
    cell["metadata"]["kata"] = {"exercise": ex.id, "role": role}
    return cell


def _md(ex: Exercise, role: str, text: str):
    return _mark(v4.new_markdown_cell(text), ex, role)


def _code(ex: Exercise, role: str, text: str):
    return _mark(v4.new_code_cell(text), ex, role)


def setup_code(ex: Exercise) -> str:
    absolute = [ast.unparse(n) for n in header_imports(ex)
                if not (isinstance(n, ast.ImportFrom) and n.level)]
    lines = [*absolute, "", "from kata.notebooks import kernel as kata", "",
             "kata.start_grader()  # gets the checks ready in the background, so they answer quickly"]
    names = [e.name for e in uses(ex)]
    if names:
        quoted = ", ".join(f'"{n}"' for n in names)
        lines += ["", "# Your own functions from the earlier exercises, from their notebooks in this folder:",
                  f"{', '.join(names)} = kata.earlier({quoted})"]
    return "\n".join(lines)


def how_markdown(ex: Exercise) -> str:
    earlier = uses(ex)
    text = (
        "**How this notebook works.** Run the cells from top to bottom (Shift-Enter runs one). "
        "Write your function in the cell under *Your code* and run it, then run the check at the "
        "end: it runs the kata's tests against your code as it stands in this notebook, in a "
        "separate process (so a mistake can't break this notebook), and tells you what to fix. "
        "The *Try it* cell runs your function the same way."
    )
    if earlier:
        listed = ", ".join(f"`{e.name}` (exercise {e.id})" for e in earlier)
        text += (
            f"\n\nThis exercise uses your own {listed}. The first code cell loads "
            + ("it from your notebook for that exercise, which must be in this same folder, as you "
               "last saved it. After changing it, save it" if len(earlier) == 1 else
               "them from your notebooks for those exercises, which must be in this same folder, "
               "as you last saved them. After changing one of them, save it")
            + " and run the first cell here again."
        )
    text += (
        "\n\nThis notebook needs the kata installed in the Python that runs it "
        "(`python -m pip install -e \".[dev]\"` in the kata's folder)."
    )
    return text


def try_markdown(ex: Exercise) -> str:
    return ("## Try it\n\nYour function on the chapter's example. The first line, "
            f"`%%try_it {ex.id}`, runs the cell beside this notebook, with your code cell as you last "
            f"ran it and the grader's time limit: an endless loop is stopped after {DEFAULT_TIMEOUT:g} s "
            "instead of hanging the notebook. The cell sees what your code cell sees (the imports "
            "of the first code cell, your functions), not the other variables of the notebook.")


def try_cell(ex: Exercise, code: str) -> str:
    """A cell that runs the learner's code: through the checker, under the time limit."""
    return f"%%try_it {ex.id}\n{code}"


PLOT = '''\
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("To see the plots, install matplotlib: python -m pip install -e \\".[plot]\\" "
          "in the kata's folder, then run this cell again.")

x = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
y = 2 * x
try:
    w, b, losses = train(x, y)
except NotImplementedError as e:
    print(e)
else:
    if plt is not None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        left.plot(range(1, len(losses) + 1), losses)
        left.set(title="Loss per epoch", xlabel="epoch", ylabel="loss (log scale)", yscale="log")
        right.scatter(x.flatten().tolist(), y.flatten().tolist(), label="data")
        line = w.item() * x.flatten() + b.item()
        right.plot(x.flatten().tolist(), line.tolist(), color="tab:orange",
                   label=f"y = {w.item():.3f} x + {b.item():.3f}")
        right.set(title="The line your training found", xlabel="x", ylabel="y")
        right.legend()
        plt.show()'''

# Cells that only one exercise has, keyed by the exercise's function.
EXTRAS = {
    "train": [
        ("markdown", "plot-intro", "## See it learn\n\nThe loss falling epoch by epoch, and the "
                                   "line your `train` found against the data. Like *Try it*, this "
                                   "cell runs beside the notebook (it needs matplotlib; the check "
                                   "does not)."),
        ("code", "plot", PLOT),
    ],
}


def build(ex: Exercise, source: str):
    """The notebook for `ex` from the text of its exercise file. SyntaxError if it does not parse."""
    parts = split(source, ex)
    stub = STUB_MARK in parts.answer
    nb = v4.new_notebook()
    nb.metadata.update(kernelspec=KERNELSPEC, language_info={"name": "python"})
    nb.cells = [
        _md(ex, "lesson", lesson_markdown(ex, parts.lesson)),
        _md(ex, "how", how_markdown(ex)),
        _code(ex, "setup", setup_code(ex)),
        _md(ex, "task", contract_markdown(ex, parts.contract, _signature(source, ex), stub)),
        _code(ex, "answer", parts.answer),
    ]
    if parts.example:
        nb.cells += [_md(ex, "try-intro", try_markdown(ex)), _code(ex, "try", try_cell(ex, parts.example))]
    for kind, role, text in EXTRAS.get(ex.name, []):
        nb.cells.append(_md(ex, role, text) if kind == "markdown" else _code(ex, role, try_cell(ex, text)))
    nb.cells += [
        _md(ex, "check-intro",
            "## Check your work\n\nRun your code cell first, then this one. Stuck? Run "
            f'`kata.hint("{ex.id}")` in a new cell: each call gives the next, stronger hint.'),
        _code(ex, "check", f'kata.check("{ex.id}")'),
    ]
    nb.metadata["kata"] = {"exercise": ex.id, "fingerprint": fingerprint(nb)}
    nbformat.validate(nb)
    return nb


# --- never losing a learner's notebook ----------------------------------------------


def _text(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def fingerprint(nb: dict) -> str:
    """A digest of what a learner could change: each cell's type, text and kata marks.

    Outputs, execution counts and the metadata Jupyter adds are left out, so a notebook
    that was only run, not edited, still counts as untouched.
    """
    cells = [
        [c.get("cell_type"), _text(c.get("source", "")), (c.get("metadata") or {}).get("kata")]
        for c in nb.get("cells", []) if isinstance(c, dict)
    ]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def untouched(path: Path) -> tuple[bool, str | None]:
    """(still as generated, the fingerprint it was generated with) for an existing notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        recorded = nb["metadata"]["kata"]["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        return False, None
    return fingerprint(nb) == recorded, recorded


def _write(path: Path, nb) -> None:
    write_atomically(path, nbformat.writes(nb) + "\n")


@dataclass(frozen=True)
class Written:
    name: str
    action: str  # new | refreshed | unchanged | kept | replaced | failed
    detail: str = ""


def write_notebook(ex: Exercise, source: str, out: Path, force: bool = False) -> Written:
    """Write the notebook of `ex` into `out` unless that would lose a learner's changes."""
    name = f"{ex.stem}.ipynb"
    path = out / name
    try:
        nb = build(ex, source)
    except (SyntaxError, ValueError) as e:  # ValueError: null bytes, on some Python versions
        where = f", line {e.lineno}," if getattr(e, "lineno", None) else ""
        return Written(name, "failed", f"{ex.file}{where} does not parse: {getattr(e, 'msg', e)}")
    new = nb.metadata["kata"]["fingerprint"]
    if not path.exists():
        _write(path, nb)
        return Written(name, "new")
    as_made, recorded = untouched(path)
    if as_made and recorded == new:
        return Written(name, "unchanged")
    if as_made:
        _write(path, nb)
        return Written(name, "refreshed")
    if not force:
        return Written(name, "kept", "it has your changes, so it was left as it is")
    copy = backup(path, path.parent / BACKUPS)
    _write(path, nb)
    return Written(name, "replaced", f"your version is kept in {display_name(copy)}")


def generate(target: Target, out: Path, exercises: list[Exercise], force: bool = False) -> list[Written]:
    """One notebook per exercise of `target`, in out/<chapter folder>/."""
    written = []
    for ex in exercises:
        folder = out / ex.folder
        folder.mkdir(parents=True, exist_ok=True)
        try:
            source = (target.folders[ex.folder] / ex.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            reason = "it is missing" if isinstance(e, FileNotFoundError) else f"it cannot be read ({e})"
            written.append(Written(f"{ex.folder}/{ex.stem}.ipynb", "failed", f"{ex.file}: {reason}"))
            continue
        w = write_notebook(ex, source, folder, force)
        written.append(Written(f"{ex.folder}/{w.name}", w.action, w.detail))
    return written
