"""Fixtures for the exercise tests.

Each learner function is a fixture of the same name (`mse_loss`, `train`, ...), loaded
from the folder being graded when a test asks for it. A file that does not load fails
the tests that need it, and only those.

`spy` counts the calls of a function while a test runs, `record` runs a learner's function
once and notes what it did (and can put the tests' own versions of earlier functions in
place of the learner's), `record_property` attaches a value to the test's result (the
grader keeps it in its JSON).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
import support
import torch

from kata import loader
from kata.meta import chapter


def _learner_fixture(name: str):
    @pytest.fixture(name=name)
    def learner_function():
        return loader.function(name)

    learner_function.__doc__ = f"The learner's `{name}`."
    return learner_function


for _ex in chapter().exercises:
    globals()[f"fixture_{_ex.name}"] = _learner_fixture(_ex.name)


@pytest.fixture(autouse=True)
def fresh_start() -> None:
    """Every test starts with autograd on, whatever an earlier test's learner code left
    behind, and with no mistake explained yet."""
    torch.set_grad_enabled(True)
    support.new_test()


@dataclass
class Calls:
    """How often a spied-on function was called."""

    count: int = 0


def _learner_modules() -> list:
    # Looked up by name: walking all of sys.modules would touch every module object, and a
    # forked process pays for each page it touches.
    names = (f"{loader.PACKAGE}.{ex.stem}" for ex in chapter().exercises)
    return [sys.modules[name] for name in names if name in sys.modules]


def _replace(patch: pytest.MonkeyPatch, owner: object, name: str, replacement: Callable) -> None:
    """owner.name becomes `replacement`, and so does every name for it in the learner's modules
    (`from .ex07_sgd_step import sgd_step` makes one)."""
    original = getattr(owner, name)
    patch.setattr(owner, name, replacement)
    for module in _learner_modules():
        for key, value in list(vars(module).items()):
            if value is original:
                patch.setattr(module, key, replacement)


@pytest.fixture
def spy(monkeypatch) -> Callable[[object, str], Calls]:
    """spy(owner, name) counts calls of owner.name until the test ends, the learner's
    modules' calls of it included."""

    def install(owner: object, name: str) -> Calls:
        original = getattr(owner, name)
        calls = Calls()

        @functools.wraps(original)
        def counting(*args, **kwargs):
            calls.count += 1
            return original(*args, **kwargs)

        _replace(monkeypatch, owner, name, counting)
        return calls

    return install


Watched = str | tuple[object, str]  # a learner function's name, or (owner, attribute) like (torch, "tensor")
_autograd_backward = torch.autograd.backward  # what tensor.backward() calls


def _noting(name: str, fn: Callable, calls: list[support.Call]) -> Callable:
    @functools.wraps(fn)
    def noting(*args, **kwargs):
        call = support.Call(name, args, kwargs)
        calls.append(call)  # before it runs, so that the calls it makes come after it
        call.result = fn(*args, **kwargs)
        return call.result

    return noting


@pytest.fixture
def record() -> Callable[..., support.Run]:
    """record(fn, *args, describe=..., watch=(), using={}) runs the learner's fn(*args) once
    and returns a support.Run: its result, or the exception it raised, and the calls it made.

    Noted in order, with their arguments and results: every backward() (tensor.backward()
    or torch.autograd.backward), and every call of what `watch` names: the learner's
    functions by name ("mse_loss"), anything else as (owner, attribute), noted as
    "owner.attribute" ("torch.tensor"). `using` maps names of the learner's functions to
    the tests' own versions, which the learner's code then calls instead: a failing
    function run again so shows whether the fault is its own or an earlier exercise's.
    Everything is put back before `record` returns. As with support.attempt, a stub not
    done yet or a file that does not load still ends the test.
    """

    def run(fn: Callable, *args, describe: str, watch: Sequence[Watched] = (),
            using: dict[str, Callable] | None = None) -> support.Run:
        using = using or {}
        calls: list[support.Call] = []
        with pytest.MonkeyPatch.context() as patch:
            _replace(patch, torch.autograd, "backward", _noting("backward", _autograd_backward, calls))
            for item in watch:
                owner, attribute = (support.loaded(item), item) if isinstance(item, str) else item
                if not callable(getattr(owner, attribute, None)):
                    continue  # a learner file not loaded, or without the function: nothing calls it
                label = item if isinstance(item, str) else f"{getattr(owner, '__name__', owner)}.{attribute}"
                inner = using.get(item) or getattr(owner, attribute)
                _replace(patch, owner, attribute, _noting(label, inner, calls))
            for name, ours in using.items():
                owner = support.loaded(name)
                if name not in watch and callable(getattr(owner, name, None)):
                    _replace(patch, owner, name, ours)
            result, error = support.attempt(fn, *args, describe=describe)
        return support.Run(result, error, calls)

    return run


@pytest.fixture
def learner_module() -> Callable[[str], object]:
    """learner_module(name): the learner's module that defines the function `name`."""
    return lambda name: loader.load(chapter().find(name))


@pytest.fixture
def record_property(request) -> Callable[[str, object], None]:
    """Attach (name, value) to the test's result; the value must be plain JSON data."""
    return lambda name, value: request.node.user_properties.append((name, value))
