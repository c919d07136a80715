"""Tests marked `@pytest.mark.hidden`, read from the source. Hidden checks are now written in
tests/<chapter>/hidden_checks.py and judged outside the learner's process (kata.grading.audit);
a test module with a marked test is refused when grading (kata.grading.session), since its
tests would share a process with learner code. A release still removes marked tests.
"""

from __future__ import annotations

import ast
from pathlib import Path


def _is_hidden_mark(node: ast.expr) -> bool:
    """`@pytest.mark.hidden`, `@mark.hidden`, and either one called: `@pytest.mark.hidden()`."""
    return ast.unparse(node.func if isinstance(node, ast.Call) else node).split(".")[-2:] == ["mark", "hidden"]


def _hidden_definitions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [n for n in tree.body if isinstance(n, kinds) and any(map(_is_hidden_mark, n.decorator_list))]


def hidden_names(source: str) -> set[str]:
    """The names of the hidden tests in a test module (a hidden class: its methods)."""
    names = set()
    for node in _hidden_definitions(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            names |= {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        else:
            names.add(node.name)
    return names


def strip_hidden(source: str) -> tuple[str, int]:
    """`source` without its hidden tests (decorators included), and how many were removed."""
    found = _hidden_definitions(ast.parse(source))
    if not found:
        return source, 0
    lines = source.splitlines(keepends=True)
    drop: set[int] = set()
    for node in found:
        start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
        drop.update(range(start, node.end_lineno))
    kept = "".join(line for i, line in enumerate(lines) if i not in drop)
    # Removing a definition leaves the blank lines around it: keep at most two in a row.
    while "\n\n\n\n" in kept:
        kept = kept.replace("\n\n\n\n", "\n\n\n")
    return kept.rstrip("\n") + "\n", len(found)


def hidden_tests(tests_dir: Path) -> dict[str, set[str]]:
    """Test module (its path inside `tests_dir`) -> the names of its hidden tests."""
    found = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        try:
            names = hidden_names(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue  # the grader reports a test module that does not load
        if names:
            found[path.relative_to(tests_dir).as_posix()] = names
    return found


def is_hidden(test_name: str, names: set[str]) -> bool:
    """Whether a collected test (`test_x` or a parametrized `test_x[case]`) is hidden."""
    return test_name.split("[", 1)[0] in names
