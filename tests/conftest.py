"""Fixtures for the exercise tests.

Each learner function or class is a fixture of the same name (`mse_loss`, `train`,
`Linear`, ...), loaded from the folder being graded when a test asks for it. A file that
does not load fails the tests that need it, and only those.

The grader tells the tests which folder that is. Run on their own (`pytest tests/`, or an
editor's test panel), the tests grade `exercises/`, or the folder given with `--target`.

`spy` counts the calls of a function while a test runs, `record_property` attaches a
value to the test's result (the grader keeps it in its JSON).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import support
import torch

from kata import ROOT
from kata.catalogue.course import course
from kata.exercise_process.explain import LoadError
from kata.exercise_process.loader import LEARNER, Learner

_STANDALONE = pytest.StashKey[bool]()


def pytest_addoption(parser) -> None:
    parser.addoption("--target", default="exercises", help="the folder of exercises to test (default: exercises)")


def learner(config) -> Learner:
    """The learner's code being tested: the grader's choice, or --target's when pytest runs alone."""
    found = config.stash.get(LEARNER, None)
    if found is None:
        folder = Path(config.getoption("--target", "exercises"))
        folder = folder if folder.is_absolute() or folder.exists() else ROOT / folder
        found = config.stash[LEARNER] = Learner({c.folder: folder / c.folder for c in course().chapters})
        config.stash[_STANDALONE] = True
    return found


def _learner_fixture(name: str):
    @pytest.fixture(name=name)
    def learner_object(request):
        return learner(request.config).get(name)

    learner_object.__doc__ = f"The learner's `{name}`."
    return learner_object


for _ex in course().exercises:
    globals()[f"fixture_{_ex.name}"] = _learner_fixture(_ex.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Run by pytest alone, a stub or a file that does not load fails with the grader's words,
    not a traceback through the tests."""
    outcome = yield
    report = outcome.get_result()
    exc = call.excinfo.value if call.excinfo is not None else None
    if item.config.stash.get(_STANDALONE, False) and isinstance(exc, (NotImplementedError, LoadError)):
        where = getattr(exc, "location", None)
        at = f"\n  at {where.file}, line {where.line}" if where is not None and where.line else ""
        report.longrepr = f"{type(exc).__name__}: {exc}{at}"


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


@pytest.fixture
def spy(monkeypatch, request) -> Callable[[object, str], Calls]:
    """spy(owner, name) counts calls of owner.name until the test ends.

    The learner's modules that imported the function by name (`from .ex07_sgd_step import
    sgd_step`) call the counting version too.
    """
    code = learner(request.config)

    def install(owner: object, name: str) -> Calls:
        # Looked up by name: walking all of sys.modules would touch every module object, and
        # a forked process pays for each page it touches.
        names = (code.module_name(ex) for ex in course().exercises)
        modules = [sys.modules[name] for name in names if name in sys.modules]
        original = getattr(owner, name)
        calls = Calls()

        @functools.wraps(original)
        def counting(*args, **kwargs):
            calls.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)
        for module in modules:
            for key, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, key, counting)
        return calls

    return install


@pytest.fixture
def learner_module(request) -> Callable[[str], object]:
    """learner_module(name): the learner's module that defines the function or class `name`."""
    return lambda name: learner(request.config).load(course().named(name))


@pytest.fixture
def record_property(request) -> Callable[[str, object], None]:
    """Attach (name, value) to the test's result; the value must be plain JSON data."""
    return lambda name, value: request.node.user_properties.append((name, value))
