"""Fixtures for the exercise tests.

Each learner function or class is a fixture of the same name (`mse_loss`, `train`,
`Linear`, ...), loaded from the folder being graded when a test asks for it. A file that
does not load fails the tests that need it, and only those.

The grader tells the tests which folder that is. Run on their own (`pytest tests/`, or an
editor's test panel), the tests grade `exercises/`, or the folder given with `--target`.

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
from pathlib import Path

import pytest
import support
import torch

from kata import ROOT
from kata.catalogue.course import course
from kata.exercise_process.explain import LoadError
from kata.exercise_process.loader import LEARNER, PACKAGE, Learner

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


def _mistake_ids(test_file: Path, named: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The named mistakes of a test, each with its id: the exercise, then the name (`04/sum-not-mean`)."""
    ex = course().by_file(test_file.parent.name, test_file.name.removeprefix("test_"))
    prefix = f"{ex.id}/" if ex is not None else ""
    return [{"id": prefix + name, "words": words} for name, words in named]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Run by pytest alone, a stub or a file that does not load fails with the grader's words,
    not a traceback through the tests. The mistakes that a test named go with its report
    (the grader keeps them in its JSON)."""
    outcome = yield
    report = outcome.get_result()
    if call.when == "call" and support.named_mistakes():
        report.user_properties.append(("mistakes", _mistake_ids(item.path, support.named_mistakes())))
    exc = call.excinfo.value if call.excinfo is not None else None
    if item.config.stash.get(_STANDALONE, False) and isinstance(exc, (NotImplementedError, LoadError)):
        where = getattr(exc, "location", None)
        at = f"\n  at {where.file}, line {where.line}" if where is not None and where.line else ""
        report.longrepr = f"{type(exc).__name__}: {exc}{at}"


@pytest.fixture(autouse=True)
def fresh_start() -> None:
    """Every test starts with autograd on, whatever an earlier test's learner code left
    behind, with no mistake explained yet, and with torch's global generator in the same state
    however the test is run: code that draws from it without seeding it (a mistake the tests
    look for) gets the same verdict every time, whatever else the grader imported or ran first."""
    torch.set_grad_enabled(True)
    torch.manual_seed(0)
    support.new_test()


@dataclass
class Calls:
    """How often a spied-on function was called."""

    count: int = 0


def _learner_modules() -> list:
    # Looked up by name: walking all of sys.modules would touch every module object, and a
    # forked process pays for each page it touches.
    names = (f"{PACKAGE}.{ex.folder}.{ex.stem}" for ex in course().exercises)
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
def learner_module(request) -> Callable[[str], object]:
    """learner_module(name): the learner's module that defines the function or class `name`."""
    return lambda name: learner(request.config).load(course().named(name))


@pytest.fixture
def record_property(request) -> Callable[[str, object], None]:
    """Attach (name, value) to the test's result; the value must be plain JSON data."""
    return lambda name, value: request.node.user_properties.append((name, value))
