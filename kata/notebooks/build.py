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
from .convert import cell_source, header_imports

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


@dataclass(frozen=True)
class Parts:
    lesson: str  # the module docstring
    signature: str  # the function's `def` line, on one line, without `def` and the colon
    contract: str  # the function's docstring
    answer: str  # the code the learner writes: the function, and anything they added
    example: str  # the body of `if __name__ == "__main__":`, run as "Try it"


def split(source: str, ex: Exercise) -> Parts:
    """Cut an exercise file into the parts a notebook shows. SyntaxError if it does not parse."""
    tree = ast.parse(source)
    lines = source.splitlines()
    pristine = {ast.unparse(n) for n in header_imports(ex)}
    example, dropped = "", set()
    for node in tree.body:
        test = ast.unparse(node.test) if isinstance(node, ast.If) else ""
        if test == "__name__ == '__main__'":
            example = textwrap.dedent("\n".join(lines[node.body[0].lineno - 1: node.end_lineno])).strip("\n")
        # `if not __package__:` tells a learner who runs the file as a script how to run it.
        if (test in ("__name__ == '__main__'", "not __package__")
                or (node is tree.body[0] and ast.get_docstring(tree) is not None)
                or (isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) in pristine)):
            dropped.update(range(node.lineno - 1, node.end_lineno))
    answer = "\n".join(line for n, line in enumerate(lines) if n not in dropped)
    answer = re.sub(r"\n{3,}", "\n\n\n", answer).strip("\n")
    func = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == ex.name), None)
    if func is None:  # a learner's file that lost its function still gets a notebook
        return Parts(ast.get_docstring(tree) or "", f"{ex.name}(...)", "", answer, example)
    signature = " ".join(line.strip() for line in lines[func.lineno - 1: func.body[0].lineno - 1])
    signature = re.sub(r"\(\s+", "(", re.sub(r",?\s+\)", ")", signature.removeprefix("def ")))
    return Parts(ast.get_docstring(tree) or "", signature.rstrip().removesuffix(":"),
                 ast.get_docstring(func) or "", answer, example)


def lesson_markdown(ex: Exercise, lesson: str) -> str:
    """The module docstring as a markdown lesson: its first line becomes the title."""
    first, _, rest = lesson.partition("\n")
    title = first.strip().rstrip(".") or f"Exercise {ex.id}: {ex.title}"
    paragraphs = [p for p in re.split(r"\n\s*\n", rest.strip("\n")) if p.strip()]
    # How to run the file in a terminal, which the notebook replaces, is left out.
    body = "\n\n".join(p for p in paragraphs if "python grader.py" not in p and "python -m exercises" not in p)
    return f"# {title}\n\n{body}\n\n**In one sentence:** {ex.concept}"


def contract_markdown(parts: Parts) -> str:
    """What the function must do, from its docstring, with its example as code."""
    todo = ("In the next cell, replace the lines marked `EXERCISE` with your code (two in a function, two in each "
            "method of a class)." if STUB_MARK in parts.answer else "The next cell holds the function.")
    out = [f"## Your code\n\n`{parts.signature}`\n\n{todo} Only this cell is graded (under the "
           "imports of the first code cell), so keep everything your code needs in it."]
    for paragraph in re.split(r"\n\s*\n", parts.contract.strip()):
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


def _cell(ex: Exercise, role: str, text: str, code: bool = False):
    """A cell marked with its exercise and its role, as the grader and the kernel find it."""
    cell = v4.new_code_cell(text) if code else v4.new_markdown_cell(text)
    cell["id"] = f"ex{ex.id}-{role}"
    cell["metadata"]["kata"] = {"exercise": ex.id, "role": role}
    return cell


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
    return text + ("\n\nThis notebook needs the kata installed in the Python that runs it "
                   "(`python -m pip install -e .` in the kata's folder).")


def try_markdown(ex: Exercise) -> str:
    return ("## Try it\n\nYour function on the chapter's example. The first line, "
            f"`%%try_it {ex.id}`, runs the cell beside this notebook, with your code cell as you last "
            f"ran it and the grader's time limit: an endless loop is stopped after {DEFAULT_TIMEOUT:g} s "
            "instead of hanging the notebook. The cell sees what your code cell sees (the imports "
            "of the first code cell, your functions), not the other variables of the notebook.")


MATPLOTLIB = '''\
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("To see the plots, install matplotlib: python -m pip install -e \\".[plot]\\" "
          "in the kata's folder, then run this cell again.")
'''

# A "See it learn" cell: an exercise's `plot` in course.toml, after this start.
SEE_IT = ("## See it learn\n\nThe loss falling epoch by epoch, and {}. Like *Try it*, this cell runs beside "
          "the notebook (it needs matplotlib; the check does not).")


def build(ex: Exercise, source: str):
    """The notebook for `ex` from the text of its exercise file. SyntaxError if it does not parse."""
    parts = split(source, ex)
    nb = v4.new_notebook()
    nb.metadata.update(kernelspec=KERNELSPEC, language_info={"name": "python"})
    nb.cells = [
        _cell(ex, "lesson", lesson_markdown(ex, parts.lesson)),
        _cell(ex, "how", how_markdown(ex)),
        _cell(ex, "setup", setup_code(ex), code=True),
        _cell(ex, "task", contract_markdown(parts)),
        _cell(ex, "answer", parts.answer, code=True),
    ]
    extras = [("try", try_markdown(ex), parts.example)] if parts.example else []
    if ex.plot:
        extras.append(("plot", SEE_IT.format(ex.plot_shows), f"{MATPLOTLIB}\n{ex.plot}"))
    for role, text, code in extras:
        nb.cells += [_cell(ex, f"{role}-intro", text), _cell(ex, role, f"%%try_it {ex.id}\n{code}", code=True)]
    nb.cells += [
        _cell(ex, "check-intro", "## Check your work\n\nRun your code cell first, then this one. Stuck? "
                                 f'Run `kata.hint("{ex.id}")` in a new cell: each call gives the next, '
                                 "stronger hint."),
        _cell(ex, "check", f'kata.check("{ex.id}")', code=True),
    ]
    nb.metadata["kata"] = {"exercise": ex.id, "fingerprint": fingerprint(nb)}
    nbformat.validate(nb)
    return nb


def fingerprint(nb: dict) -> str:
    """A digest of what a learner could change: each cell's type, text and kata marks. Outputs,
    execution counts and Jupyter's own metadata are left out: a notebook only run is untouched."""
    cells = [[c.get("cell_type"), cell_source(c), (c.get("metadata") or {}).get("kata")]
             for c in nb.get("cells", []) if isinstance(c, dict)]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def _as_made(path: Path) -> str | None:
    """The fingerprint the notebook at `path` was made with, if it is still as it was made."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        recorded = nb["metadata"]["kata"]["fingerprint"]
        return recorded if fingerprint(nb) == recorded else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class Written:
    name: str  # <chapter folder>/<notebook>
    action: str  # new | refreshed | unchanged | kept | replaced | failed
    detail: str = ""


def generate(target: Target, out: Path, exercises: list[Exercise], force: bool = False) -> list[Written]:
    """One notebook per exercise of `target`, in out/<chapter folder>/."""
    return [Written(f"{ex.folder}/{ex.stem}.ipynb", *write_notebook(ex, target, out, force)) for ex in exercises]


def write_notebook(ex: Exercise, target: Target, out: Path, force: bool) -> tuple[str, str]:
    """Write the notebook of `ex` unless that would lose a learner's changes: (action, detail)."""
    path = out / ex.folder / f"{ex.stem}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        nb = build(ex, (target.folders[ex.folder] / ex.file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return "failed", f"{ex.file}: it is missing"
    except (OSError, UnicodeDecodeError) as e:
        return "failed", f"{ex.file}: it cannot be read ({e})"
    except (SyntaxError, ValueError) as e:  # ValueError: null bytes, on some Python versions
        where = f", line {e.lineno}," if getattr(e, "lineno", None) else ""
        return "failed", f"{ex.file}{where} does not parse: {getattr(e, 'msg', e)}"
    action, detail = "new", ""
    if path.exists():
        recorded = _as_made(path)
        if recorded == nb.metadata["kata"]["fingerprint"]:
            return "unchanged", ""
        if recorded is not None:
            action = "refreshed"
        elif not force:
            return "kept", "it has your changes, so it was left as it is"
        else:
            action, detail = "replaced", f"your version is kept in {display_name(backup(path, path.parent / BACKUPS))}"
    write_atomically(path, nbformat.writes(nb) + "\n")
    return action, detail
