"""Exercise stubs: made from the reference solutions by replacing each exercise
function's body with the uniform stub, so exercises/ never drifts from solutions/.

    python -m kata.stubs          check that exercises/ matches solutions/
    python -m kata.stubs --write  rewrite exercises/ from solutions/ (maintainers only)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from . import ROOT
from .meta import Exercise, chapter

STUB_MARK = "write your code here"


def stub_lines(ex: Exercise, indent: str) -> list[str]:
    return [
        f"{indent}# EXERCISE {ex.id} ({ex.name}): {STUB_MARK}.",
        f'{indent}raise NotImplementedError("Exercise {ex.id} ({ex.name}) is not done yet: '
        f'replace this line with your code.")',
    ]


def stubify(source: str, ex: Exercise) -> str:
    """The solution `source` with the body of `ex`'s function replaced by the stub."""
    tree = ast.parse(source)
    lines = source.splitlines()
    func = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == ex.name
    )
    body = func.body
    first = body[1] if ast.get_docstring(func) is not None else body[0]
    start, end = first.lineno - 1, func.end_lineno
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    new = lines[:start] + stub_lines(ex, indent) + lines[end:]
    return "\n".join(new) + "\n"


def pristine_stub(ex: Exercise, root: Path = ROOT) -> str:
    """The untouched stub of `ex`: kept by a student release, else made from the solution."""
    kept = root / "kata" / "stubs" / ex.file
    if kept.exists():
        return kept.read_text(encoding="utf-8")
    return stubify((root / "solutions" / ex.file).read_text(encoding="utf-8"), ex)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    stale = []
    for ex in chapter().exercises:
        expected = stubify((ROOT / "solutions" / ex.file).read_text(encoding="utf-8"), ex)
        path = ROOT / "exercises" / ex.file
        if write:
            path.write_text(expected, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != expected:
            stale.append(ex.file)
    if stale:
        print(f"exercises/ differs from solutions/ in: {', '.join(stale)}")
        print("Run `python -m kata.stubs --write` to rewrite the stubs from the solutions.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
