"""The README of a student release: how to set up, work and check, with the exercises of the
chapters handed out listed from the metadata."""

from __future__ import annotations

from ..catalogue.course import Chapter

TEMPLATE = """\
# PyTorch kata

Learn PyTorch by doing. You write {count} small functions and classes, and
`python grader.py` tells you after every change what works, what does not, and why.

{title}

## Set up

You need Python 3.11 or newer (`python --version`). Where the system's Python is older, install a
newer one beside it (from python.org, with `pyenv`, or on Ubuntu from the deadsnakes PPA) and make
the environment below with it (`python3.11 -m venv .venv`).

In this folder, make a virtual environment and activate it: `python -m venv .venv`, then
`source .venv/bin/activate` on Linux and macOS or `.venv\\Scripts\\activate` on Windows (activate
it again in every new terminal).

How large it is: the kata runs on the CPU, but on Linux pip installs PyTorch's build for NVIDIA
GPUs, a 5.7 GB environment with several GB to download. With PyTorch's CPU build it is about
1.2 GB: on Linux, install that first, from PyTorch's own package index:
`python -m pip install torch --index-url https://download.pytorch.org/whl/cpu`. (On macOS and
Windows, pip's PyTorch is the CPU build already.)

Then install the kata with what it needs:

```
python -m pip install -e .
```

Then check your work:

```
python grader.py
```

## How it works

1. Open the first unfinished exercise in `exercises/` (the grader names it). Its docstrings
   explain the idea, the function or class to write, and which PyTorch documentation to read.
2. Replace the stub (the lines marked `EXERCISE`: two in a function, two in each method of a
   class) with your code. Keep the names and signatures, and keep all of your code inside
   the exercise files: they are what gets graded.
3. Run `python grader.py`. It grades every exercise in order and shows the first problem in
   plain words: which input, what came back, what was expected, and the likely mistake.
4. Stuck? `python grader.py hint 4` gives a hint for exercise 04; ask again for a stronger one.

| command | what it does |
| --- | --- |
| `python grader.py` | grade every exercise (same as `python grader.py check`) |
| `python grader.py check 4` | grade one exercise, by number (`4`, `04`) or name |
| `python grader.py check -v` | every failure in full, not only the first |
| `python grader.py watch` | check the exercise you are on again every time you save |
| `python grader.py list` | every exercise with its status and points |
| `python grader.py hint 4` | the next hint for exercise 04; `hint 4 1` shows hint 1 again |
| `python grader.py reset 4` | start exercise 04 again from its stub (your work is kept in a backup) |
| `python grader.py notebooks` | one Jupyter notebook per exercise in `notebooks/`, if you prefer to work there |
| `python grader.py --help` | every command and option |

## The exercises

| # | name | points | what you learn |
| --- | --- | --- | --- |
{rows}

## Grading

Your instructor grades your files in `exercises/` (or your notebooks) with the same tests,
and perhaps a few more. Changing the files in `tests/` or `kata/` does not change your grade: the grader notices
such changes and says so, and your instructor grades with the original files.
"""


def student_readme(chapters: list[Chapter]) -> str:
    rows = "\n".join(f"| {e.id} | `{e.name}` | {e.points:g} | {e.title} |" for c in chapters for e in c.exercises)
    titles = "\n".join(f"- {c.title} (`exercises/{c.folder}/`)" for c in chapters)
    return TEMPLATE.format(count=sum(len(c.exercises) for c in chapters), title=titles, rows=rows)
