"""Fixtures for the exercise tests.

Each learner function is a fixture of the same name (`mse_loss`, `train`, ...), loaded
from the folder being graded when a test asks for it. A file that does not load fails
the tests that need it, and only those.

`spy` counts the calls of a function while a test runs, `record_property` attaches a
value to the test's result (the grader keeps it in its JSON).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
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


@pytest.fixture
def spy(monkeypatch) -> Callable[[object, str], Calls]:
    """spy(owner, name) counts calls of owner.name until the test ends.

    The learner's modules that imported the function by name (`from .ex07_sgd_step import
    sgd_step`) call the counting version too.
    """

    def install(owner: object, name: str) -> Calls:
        original = getattr(owner, name)
        calls = Calls()

        @functools.wraps(original)
        def counting(*args, **kwargs):
            calls.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)
        for module in _learner_modules():
            for key, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, key, counting)
        return calls

    return install


@pytest.fixture
def learner_module() -> Callable[[str], object]:
    """learner_module(name): the learner's module that defines the function `name`."""
    return lambda name: loader.load(chapter().find(name))


@pytest.fixture
def record_property(request) -> Callable[[str, object], None]:
    """Attach (name, value) to the test's result; the value must be plain JSON data."""
    return lambda name, value: request.node.user_properties.append((name, value))
