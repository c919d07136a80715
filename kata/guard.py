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
import functools
import gc
import importlib
import importlib.abc
import itertools
import math
import os
import sys
import sysconfig
from pathlib import Path
from types import FrameType, ModuleType

from .loader import LoadError
from .meta import Exercise, chapter

ALWAYS_FORBIDDEN = ("solutions",)

WHY = {
    "torch.nn.functional.mse_loss": (
        "torch's own MSE computes the loss for you, and writing it is the exercise. "
        "Use tensor operations instead: subtract, square, then .mean()."
    ),
    "torch.nn.MSELoss": (
        "torch's own MSE computes the loss for you, and writing it is the exercise. "
        "Use tensor operations instead: subtract, square, then .mean()."
    ),
    "torch.optim": (
        "torch.optim's optimizers do the update and the zeroing for you. Here you write "
        "them yourself with p.grad, torch.no_grad() and in-place operations."
    ),
    "torch.autograd.grad": (
        "torch.autograd.grad computes gradients without backward(). This exercise is about "
        "calling backward() and reading .grad."
    ),
    "torch.func": (
        "torch.func computes gradients in its own way. This exercise is about calling "
        "backward() and reading .grad."
    ),
    "solutions": (
        "the reference solutions cannot be imported by graded code: the work has to be "
        "your own (and a course copy has no solutions at all)."
    ),
}


class ShortcutError(LoadError):
    """Learner code used something the exercise asks them to write themselves."""


def _matches(dotted: str, banned: str) -> bool:
    return dotted == banned or dotted.startswith(banned + ".")


def _shortcut(ex: Exercise, name: str, banned: str, where: str) -> ShortcutError:
    return ShortcutError(
        f"{where} uses {name}, which exercise {ex.id} ({ex.name}) does not allow: {WHY[banned]}"
    )


def check_source(ex: Exercise, path: Path, tree: ast.Module | None = None) -> None:
    """Raise ShortcutError if the file (or its parsed `tree`) names a forbidden module or function."""
    banned = tuple(ex.forbidden) + ALWAYS_FORBIDDEN
    if tree is None:
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            return  # the import that follows reports it, with file and line
    aliases: dict[str, str] = {}
    uses: list[ast.Attribute | ast.Name] = []  # checked once every import is known
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            uses.append(node)
            continue
        found: list[tuple[str, int]] = []
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                found.append((a.name, node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                found.append((f"{node.module}.{a.name}", node.lineno))
        for dotted, line in found:
            for b in banned:
                if _matches(dotted, b):
                    raise _shortcut(ex, dotted, b, f"{path.name}, line {line},")
    for node in uses:
        if isinstance(node, ast.Attribute):
            parts = []
            cur: ast.AST = node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in aliases:
                dotted = ".".join([aliases[cur.id], *reversed(parts)])
                for b in banned:
                    if _matches(dotted, b):
                        raise _shortcut(ex, dotted, b, f"{path.name}, line {node.lineno},")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases:
            for b in banned:
                if _matches(aliases[node.id], b):
                    raise _shortcut(ex, aliases[node.id], b, f"{path.name}, line {node.lineno},")


# --- at run time -------------------------------------------------------------------


# The guards are installed once, in the warm grader before it forks (so no fork pays for
# wrapping functions, or for the tripwire noting the wrapped namespaces again), and do
# nothing until a process that grades one exercise activates them for it.
_active: tuple[Exercise, str] | None = None
_installed = False


def frame_in(prefix: str, frame: FrameType | None) -> FrameType | None:
    """`frame` or the first of its callers whose code is in a file under `prefix`, if any."""
    while frame is not None and not frame.f_code.co_filename.startswith(prefix):
        frame = frame.f_back
    return frame


def _from_target(target: str) -> bool:
    return frame_in(target, sys._getframe(2)) is not None


def _guarded(fn, name: str, banned: str):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        active = _active
        if active is not None and banned in active[0].forbidden and _from_target(active[1]):
            raise _shortcut(active[0], name, banned, "Your code")
        return fn(*args, **kwargs)

    return wrapper


class _BlockSolutions(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if _active is not None and _matches(fullname, "solutions"):
            raise _shortcut(_active[0], fullname, "solutions", "Your code")
        return None


def install_runtime_guards() -> None:
    """Wrap every call that some exercise forbids; inert until activate() (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    sys.meta_path.insert(0, _BlockSolutions())
    forbidden = sorted({name for ex in chapter().exercises for name in ex.forbidden})
    for banned in forbidden:
        module_name, _, attr = banned.rpartition(".")
        if banned == "torch.optim":
            opt = importlib.import_module(banned).Optimizer
            opt.__init__ = _guarded(opt.__init__, "torch.optim", banned)
        elif banned == "torch.func":
            module = importlib.import_module(banned)
            for key in dir(module):
                value = getattr(module, key)
                if callable(value) and not key.startswith("_"):
                    setattr(module, key, _guarded(value, f"torch.func.{key}", banned))
        else:
            module = importlib.import_module(module_name)
            value = getattr(module, attr)
            if isinstance(value, type):
                value.__init__ = _guarded(value.__init__, banned, banned)
            else:
                setattr(module, attr, _guarded(value, banned, banned))


def activate(ex: Exercise, target: Path) -> None:
    """From now on in this process, calls from `target` that `ex` forbids raise ShortcutError."""
    global _active
    install_runtime_guards()
    _active = (ex, str(target) + os.sep)


# --- tampering ---------------------------------------------------------------------


class TamperError(Exception):
    """Learner code replaced something the tests rely on."""


def _watched() -> list[tuple[str, dict]]:
    import _pytest.reports
    import _pytest.runner
    import pytest_check.check_log
    import torch

    spaces: list[tuple[str, object]] = [
        ("builtins", builtins),
        ("math", math),
        ("torch", torch),
        ("torch.Tensor", torch.Tensor),
        ("torch.testing", torch.testing),
        ("torch.autograd", torch.autograd),
        ("torch.nn", torch.nn),
        ("torch.nn.functional", torch.nn.functional),
        ("pytest_check", pytest_check.check_log),
        ("_pytest.runner", _pytest.runner),
        ("_pytest.runner.CallInfo", _pytest.runner.CallInfo),
        ("_pytest.reports", _pytest.reports),
        ("_pytest.reports.BaseReport", _pytest.reports.BaseReport),
        ("_pytest.reports.TestReport", _pytest.reports.TestReport),
    ]
    for name, module in list(sys.modules.items()):
        if isinstance(module, ModuleType) and _grader_module(name):
            spaces.append((name, module))
    return [(label, vars(obj)) for label, obj in spaces]


def _grader_module(name: str) -> bool:
    return name.startswith("kata.") or name in ("support", "conftest") or name.startswith("test_ex")


# --- the same note, taken once before the grader forks ----------------------------------
# Copying every watched namespace in each forked process writes to thousands of memory
# pages that the fork shares with the grader, and each such page is then copied: about
# 10 ms per exercise. The grader takes the note once, before forking; a fork inherits it
# and notes again only the namespaces whose dict changed since (CPython's dict version,
# PEP 509, tells: it changes with every change of the dict). Where there is no dict
# version to read, each process takes its own note, as before.


def _dict_version_reader():
    if (sys.implementation.name != "cpython" or not (3, 11) <= sys.version_info[:2] <= (3, 13)
            or sysconfig.get_config_var("Py_GIL_DISABLED")):
        return None
    import ctypes

    def version(d: dict) -> int:
        return ctypes.c_uint64.from_address(id(d) + 24).value  # PyDictObject.ma_version_tag

    probe: dict = {}
    before = version(probe)
    probe["x"] = 1
    return version if version(probe) != before else None


_version = _dict_version_reader()
_note: tuple[int, list] | None = None


def _dict_of(space) -> dict:
    """The dict itself (a class's vars() is a read-only view of its dict)."""
    return space if type(space) is dict else gc.get_referents(space)[0]


def note_before_forking() -> None:
    """Install the guards and take the tripwire's note in the grader, before learner code runs anywhere."""
    global _note
    install_runtime_guards()
    if _version is not None:
        _note = (len(sys.modules), [(label, space, dict(space), _version(_dict_of(space)))
                                    for label, space in _watched()])


def _inherited_note() -> list | None:
    """The grader's note, brought up to date in this process; None if there is none."""
    if _note is None or len(sys.modules) < _note[0]:
        return None
    count, spaces = _note
    fresh = []
    for label, space, before, version in spaces:
        now = _version(_dict_of(space))
        fresh.append((label, space, before if now == version else dict(space), now))
    for name in itertools.islice(reversed(sys.modules), len(sys.modules) - count):  # imported since
        module = sys.modules[name]
        if isinstance(module, ModuleType) and _grader_module(name):
            fresh.append((name, vars(module), dict(vars(module)), _version(vars(module))))
    return fresh


class Tripwire:
    """A note of the watched namespaces, taken before learner code is imported."""

    def __init__(self) -> None:
        self._spaces = _inherited_note() or [(label, space, dict(space), None) for label, space in _watched()]

    def changes(self) -> list[str]:
        """What was replaced, removed or added since the note was taken.

        An added module is not a change: importing a submodule (torch.fx, say) adds it
        to its package.
        """
        changed = []
        for label, space, before, version in self._spaces:
            if version is not None and _version(_dict_of(space)) == version:
                continue  # the dict has not changed at all
            for key, value in before.items():
                if space.get(key, _MISSING) is not value:
                    changed.append(f"{label}.{key}")
            for key in space.keys() - before.keys():
                if not isinstance(space[key], ModuleType):
                    changed.append(f"{label}.{key}")
        return changed


_MISSING = object()
