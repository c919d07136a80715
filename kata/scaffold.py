"""`python -m kata.dev new FOLDER NAME`: the files of a new exercise, for a maintainer to fill in.

The exercise joins the course's last chapter (FOLDER is its folder) or opens a new chapter
(FOLDER is a new folder), so that ids keep rising through the course. Written: the reference
solution in the docstring format the notebooks read, a test module, the metadata entry and a
row of the README's exercise table. Each holds a marked place to fill; `python -m kata.dev
check` names what is still missing (a concept, docs, hints, known mistakes).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import ROOT, UsageError
from .catalogue.course import METADATA, Course

TODO = "FILL IN"

SOLUTION = '''"""Exercise {id}: {title}.

{TODO}: the lesson, in a few short paragraphs: the idea, why it matters, and the one
detail learners get wrong.

Try your function:  python -m exercises.{folder}.{stem}
Check it:           python grader.py check {id}
"""

import torch


def {name}(x: torch.Tensor) -> torch.Tensor:
    """{TODO}: the contract in one line.

    Example: {TODO}: one call and what it returns.

    Read: {TODO}: the PyTorch documentation pages, by name.
    """
    raise NotImplementedError("{TODO}: the reference answer")


if __name__ == "__main__":
    try:
        print({name}(torch.tensor([1.0, 2.0])))
    except NotImplementedError as e:
        print(e)
'''

TEST = '''"""Exercise {id}: {TODO}: what {name} must do, in one line."""

import torch
from support import call, close, expect, show, values


def reference(x: torch.Tensor) -> torch.Tensor:
    """{TODO}: the expected value, computed independently (torch's own function, a closed form)."""
    raise NotImplementedError("{TODO}: the oracle of exercise {id}")


def test_{name}_matches_the_reference({name}):
    x = torch.tensor([1.0, -2.0, 0.5])
    what = "{name}(tensor([1, -2, 0.5]))"
    got = call({name}, x.clone(), describe=what)
    expected = values(reference(x))
    expect(close(values(got), expected), what, show(got), str(expected), None)
'''

ENTRY = '''
[[chapter.exercise]]
id = "{id}"
name = "{name}"
file = "{file}"
title = "{title}"
points = 1
concept = ""
docs = []
forbidden = []
hints = []
'''

CHAPTER = '''
[[chapter]]
number = {number}
folder = "{folder}"
title = "Chapter {number}: {TODO}"
finished = """
{TODO}: what was learned, and what comes next."""
'''


def _stem(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def new(c: Course, folder: str, name: str, title: str = "", root: Path = ROOT) -> list[Path]:
    """Write the new exercise's files and entries; the paths written or changed, in that order."""
    if not name.isidentifier() or any(e.name == name for e in c.exercises):
        raise UsageError(f"'{name}' cannot be a new exercise: give an unused Python name")
    last = c.chapters[-1]
    if folder != last.folder and any(ch.folder == folder for ch in c.chapters):
        raise UsageError(f"a new exercise joins the last chapter ({last.folder}) or a new one, so that ids keep "
                         f"rising through the course; {folder} is chapter {[ch.folder for ch in c.chapters].index(folder) + 1}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", folder):
        raise UsageError(f"'{folder}' cannot be a chapter folder: use lower case letters, digits and _")
    number = f"{c.exercises[-1].number + 1:02d}"
    stem = f"ex{number}_{_stem(name)}"
    fields = dict(id=number, name=name, folder=folder, stem=stem, file=f"{stem}.py",
                  title=title or f"{TODO}: a title", TODO=TODO)
    solution, test = root / "solutions" / folder / f"{stem}.py", root / "tests" / folder / f"test_{stem}.py"
    for path, template in ((solution, SOLUTION), (test, TEST)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
    metadata = root / METADATA.relative_to(ROOT)
    text = metadata.read_text(encoding="utf-8").rstrip("\n") + "\n"
    if folder != last.folder:
        text += CHAPTER.format(number=last.number + 1, folder=folder, TODO=TODO)
    metadata.write_text(text + ENTRY.format(**fields), encoding="utf-8")
    readme = root / "README.md"
    rows = readme.read_text(encoding="utf-8").splitlines()
    after = max(i for i, row in enumerate(rows) if re.match(r"^\| \d\d \| `\w+` \|", row))
    rows.insert(after + 1, f"| {number} | `{name}` | {TODO}: what you learn |")
    readme.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [solution, test, metadata, readme]
