"""Exercise stubs, made from the reference solutions: the body of the exercise's function
(or of every method of its class) becomes the uniform stub, after its docstring, so
exercises/ never drifts from solutions/."""

from __future__ import annotations

import ast
from pathlib import Path

from .. import ROOT
from .course import Exercise

STUB_MARK = "write your code here"


def stub_lines(ex: Exercise, indent: str) -> list[str]:
    return [f"{indent}# EXERCISE {ex.id} ({ex.name}): {STUB_MARK}.",
            f'{indent}raise NotImplementedError("Exercise {ex.id} ({ex.name}) is not done yet: '
            'replace this line with your code.")']


def still_raises(ex: Exercise) -> str:
    """What a test of `ex` says when the stub stopped it."""
    return f"{ex.name} still raises NotImplementedError: replace the stub with your code."


def _bodies(tree: ast.Module, ex: Exercise) -> list[ast.FunctionDef]:
    """The functions whose bodies the learner writes: the exercise's function, or its class's methods."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == ex.name:
            return [node]
        if isinstance(node, ast.ClassDef) and node.name == ex.name:
            return [n for n in node.body if isinstance(n, ast.FunctionDef)]
    raise ValueError(f"{ex.path} defines no function or class named {ex.name}")


def stubify(source: str, ex: Exercise) -> str:
    """The solution `source` with the learner's bodies replaced by the stub."""
    lines = source.splitlines()
    for func in sorted(_bodies(ast.parse(source), ex), key=lambda f: f.lineno, reverse=True):
        first = func.body[1] if ast.get_docstring(func) is not None else func.body[0]
        start, end = first.lineno - 1, func.end_lineno
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        lines[start:end] = stub_lines(ex, indent)
    return "\n".join(lines) + "\n"


def pristine_stub(ex: Exercise, root: Path = ROOT) -> str:
    """The untouched stub of `ex`: kept by a student release, else made from the solution."""
    kept = root / "kata" / "stubs" / ex.path
    if kept.exists():
        return kept.read_text(encoding="utf-8")
    return stubify((root / "solutions" / ex.path).read_text(encoding="utf-8"), ex)


def is_stub(text: str, ex: Exercise) -> bool:
    """Whether a file still holds the exercise's stub (the learner has not replaced it all)."""
    return stub_lines(ex, "")[1].strip() in text
