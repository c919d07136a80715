"""What keeps grading honest inside the process that runs learner code.

- Shortcuts: calls that would skip the point of a lesson (torch's own MSE in
  mse_loss, torch.optim in sgd_step, ...) fail the exercise with an explanation, both
  when they appear in the learner's file and when learner code calls them at run time.
- Tampering: the grader notes which functions the tests rely on before learner code
  is imported, and notices when learner code replaces any of them.

Neither is a sandbox: code that sets out to defeat the grader from inside its own
process can. The README says so, and what to do about it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import importlib.abc
import math
import operator
import pkgutil
import sys
from pathlib import Path
from types import FrameType, ModuleType

from ..catalogue.course import Exercise, course
from ..outcomes import Location
from .explain import LoadError

ALWAYS_FORBIDDEN = ("solutions",)

SOLUTIONS_WHY = ("the reference solutions cannot be imported by graded code: the work has to be your own "
                 "(and a course copy has no solutions at all).")


class ShortcutError(LoadError):
    """Learner code used something the exercise asks them to write themselves."""


def _matches(dotted: str, banned: str) -> bool:
    return dotted == banned or dotted.startswith(banned + ".")


def _shortcut(ex: Exercise, name: str, banned: str, where: Location | None = None) -> ShortcutError:
    why = SOLUTIONS_WHY if banned == "solutions" else course().why[banned]
    return ShortcutError(f"Your code uses {name}, which exercise {ex.id} ({ex.name}) does not allow: {why}",
                         where)


def check_source(ex: Exercise, path: Path, tree: ast.Module | None = None) -> None:
    """Raise ShortcutError if the file (or its parsed `tree`) names a forbidden module or function."""
    banned = tuple(ex.forbidden) + ALWAYS_FORBIDDEN

    def check(dotted: str, node: ast.AST) -> None:
        found = next((b for b in banned if _matches(dotted, b)), None)
        if found is not None:
            raise _shortcut(ex, dotted, found, Location(path.name, node.lineno))

    if tree is None:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            return  # the import that follows reports it, with file and line
    aliases: dict[str, str] = {}  # a name in the file -> the dotted name it was imported as
    uses: list[ast.Attribute | ast.Name] = []  # checked once every import is known
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                check(a.name, node)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                check(f"{node.module}.{a.name}", node)
        elif isinstance(node, (ast.Attribute, ast.Name)):
            uses.append(node)
    for node in uses:  # `name.attr.attr`, or `name` alone, read where `name` is an imported one
        parts = []
        base: ast.AST = node
        while isinstance(base, ast.Attribute):
            parts.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and isinstance(base.ctx, ast.Load) and base.id in aliases:
            check(".".join([aliases[base.id], *reversed(parts)]), node)


# The guards are installed once, in the warm grader before it forks (no fork pays for wrapping
# functions), and do nothing until the process that grades one exercise activates them for it.
_active: tuple[Exercise, tuple[str, ...]] | None = None
_installed = False
_guarded_spaces: list[tuple[str, object]] = []  # (label, module or class) that hold wrappers


def frame_in(prefixes: tuple[str, ...], frame: FrameType | None) -> FrameType | None:
    """`frame` or the first of its callers whose code is in a file under one of `prefixes`, if any."""
    while frame is not None and not frame.f_code.co_filename.startswith(prefixes):
        frame = frame.f_back
    return frame


def _guarded(fn, banned: str):
    """`fn` behind the guard. The original is held by the wrapper's closure only (no
    `__wrapped__`), and the namespaces that hold the wrappers are watched by the tripwire:
    putting an original back is tampering, however it was found."""

    def wrapper(*args, **kwargs):
        active = _active
        if active is not None and banned in active[0].forbidden and frame_in(active[1], sys._getframe(1)):
            raise _shortcut(active[0], banned, banned)
        return fn(*args, **kwargs)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        with contextlib.suppress(AttributeError, TypeError):
            setattr(wrapper, name, getattr(fn, name))
    return wrapper


class _BlockSolutions(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if _active is not None and _matches(fullname, "solutions"):
            raise _shortcut(_active[0], fullname, "solutions")
        return None


def install_runtime_guards() -> None:
    """Wrap every call that some exercise forbids; inert until activate() (once per process).

    A forbidden module has each of its public functions wrapped (torch.optim: every
    optimizer, through the constructor they share), a forbidden class its constructor.
    """
    global _installed
    if _installed:
        return
    _installed = True
    sys.meta_path.insert(0, _BlockSolutions())
    for banned in sorted({name for ex in course().exercises for name in ex.forbidden}):
        holder, _, attr = banned.rpartition(".")  # a module, or a class such as torch.Tensor
        owner = pkgutil.resolve_name(holder)
        value = getattr(owner, attr)
        if banned == "torch.optim":
            value.Optimizer.__init__ = _guarded(value.Optimizer.__init__, banned)
            _guarded_spaces.append(("torch.optim.Optimizer", value.Optimizer))
        elif isinstance(value, ModuleType):
            for key in dir(value):
                if callable(getattr(value, key)) and not key.startswith("_"):
                    setattr(value, key, _guarded(getattr(value, key), banned))
            _guarded_spaces.append((banned, value))
        elif isinstance(value, type):
            value.__init__ = _guarded(value.__init__, banned)
            _guarded_spaces.append((banned, value))
        else:
            setattr(owner, attr, _guarded(value, banned))
            _guarded_spaces.append((holder, owner))


def activate(ex: Exercise, prefixes: tuple[str, ...]) -> None:
    """From now on in this process, calls from the learner's files (under `prefixes`) that
    `ex` forbids raise ShortcutError."""
    global _active
    install_runtime_guards()
    _active = (ex, prefixes)


@functools.cache
def watched_namespaces() -> list[tuple[str, dict, tuple[str, ...] | None]]:
    """The namespaces whose replacement is tampering, labelled: those the tests and the grader rely on,
    each with the names watched in it (None: all of them). Found once per process: the warm grader
    finds them before it forks, since looking through sys.modules in every fork would touch, and so
    copy, a page of memory for each module."""
    import torch

    from .. import pytest_internals

    spaces: list[tuple[str, object, tuple[str, ...] | None]] = [
        ("builtins", builtins, None), ("math", math, None), ("torch", torch, None), ("torch.Tensor", torch.Tensor, None),
        ("torch.testing", torch.testing, None), ("torch.autograd", torch.autograd, None), ("torch.nn", torch.nn, None),
        ("torch.nn.Module", torch.nn.Module, None), ("torch.nn.functional", torch.nn.functional, None),
        *pytest_internals.watched(),
    ]
    install_runtime_guards()
    labels = {label for label, _, _ in spaces}
    spaces += [(label, obj, None) for label, obj in dict(_guarded_spaces).items() if label not in labels]
    for name, module in list(sys.modules.items()):
        if isinstance(module, ModuleType) and _graders_own(module):
            spaces.append((name, module, None))
    return [(label, vars(obj), names) for label, obj, names in spaces]


def _graders_own(module: ModuleType) -> bool:
    """The grader's modules and the tests' (the tests folder's modules have no package)."""
    name = module.__name__
    return name.startswith("kata.") or (
        "." not in name and (name in ("support", "conftest") or name.startswith("test_") or name.endswith("_support"))
    )


class Tripwire:
    """A note of the watched namespaces, taken before learner code is imported: each one's
    keys and values, in order (or, where only some names are watched, theirs). Of the test
    modules, only `ex`'s: no other runs in this process."""

    def __init__(self, ex: Exercise) -> None:
        tests = Path(ex.test_path).stem
        self._notes = [(label, space, names is None, keys, tuple(map(space.get, keys)))
                       for label, space, names in watched_namespaces()
                       if not label.startswith("test_") or label == tests
                       for keys in [tuple(space) if names is None else names]]

    def changes(self) -> list[str]:
        """What was replaced, removed or added since the note was taken. An added module is not a
        change: importing a submodule (torch.fx, say) adds it to its package."""
        changed = []
        for label, space, whole, keys, values in self._notes:
            # The usual case, seen without a Python loop over thousands of names (it runs after
            # every test): the same keys with the same values, in the same order.
            if whole and (len(space) == len(keys) and all(map(operator.is_, space, keys))
                          and all(map(operator.is_, space.values(), values))):
                continue
            if not whole and all(map(operator.is_, map(space.get, keys), values)):
                continue
            before = dict(zip(keys, values))
            changed += [f"{label}.{key}" for key, value in before.items() if space.get(key, _MISSING) is not value]
            changed += [f"{label}.{key}" for key in space.keys() - before.keys()
                        if whole and not isinstance(space[key], ModuleType)]
        return changed


_MISSING = object()
