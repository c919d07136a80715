"""Helpers for the exercise tests: read the learner's results safely, and say what is wrong.

Everything here is taken when the tests are imported, before any learner code runs in
the process, and compares plain Python numbers: learner code that replaces
torch.allclose, Tensor.tolist or a tensor's comparison operators changes nothing here.

A failure message has one shape:

    <what was called, with which input>
      got:      <what came back>
      expected: <what should have come back>
      Likely mistake: <the usual cause, in words>

A mistake is named from what the learner's code did where that can be seen: conftest's
`record` notes the calls it made (a Run of Calls), and diagnosis_support's `earlier_fault`
tells whether a failing exercise is wrong itself or only through an earlier one it uses.
Numbers that match a known wrong answer (`diagnose`) come second, where no other mistake
gives them.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import NoReturn

import torch
from pytest_check import check

from kata.catalogue.course import course
from kata.exercise_process.explain import LoadError
from kata.exercise_process.loader import PACKAGE

TOL = 1e-5

_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_tolist = torch.Tensor.tolist
_detach = torch.Tensor.detach
_no_torch_function = torch._C.DisableTorchFunctionSubclass
_type = type
_isfinite = math.isfinite
_fail = check.fail


@dataclass(frozen=True)
class TensorFacts:
    """What a test needs to know about a tensor the learner returned, as plain values."""

    value: object  # a float for a 0-dim tensor, nested lists otherwise
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None

    def __str__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({fmt(self.value)}, shape {self.shape}, {self.dtype}{extra})"


def is_tensor(x: object) -> bool:
    return _type(x) is _Tensor or _type(x) is _Parameter


def facts(x: torch.Tensor) -> TensorFacts:
    with _no_torch_function():
        return TensorFacts(
            value=_tolist(_detach(x)),
            shape=tuple(x.shape),
            dtype=str(x.dtype).removeprefix("torch."),
            requires_grad=bool(x.requires_grad),
            is_leaf=bool(x.is_leaf),
            grad_fn=_type(x.grad_fn).__name__ if x.grad_fn is not None else None,
        )


def fmt(value: object, digits: int = 6) -> str:
    """A number or nested list of numbers, short and readable."""
    if isinstance(value, float):
        text = f"{value:.{digits}g}"
        return text if any(c in text for c in ".en") else text + ".0"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(fmt(v, digits) for v in value[:8])
        more = ", ..." if len(value) > 8 else ""
        return f"[{inner}{more}]"
    return repr(value)


def show(x: object) -> str:
    """How a learner's value appears in a message."""
    if is_tensor(x):
        return str(facts(x))
    if isinstance(x, torch.Tensor):
        return f"a {type(x).__name__} (a subclass of torch.Tensor)"
    text = " ".join(repr(x).split()).replace("( ", "(")  # on one line: some (torch.return_types) span several
    return text if len(text) <= 120 else text[:117] + "..."


def names_shape(text: str, shape: tuple[int, ...]) -> bool:
    """Whether a message shows `shape`, written in any of the usual ways: (4, 3), [4, 3], 4x3."""
    flat = text.replace(" ", "")
    dims = [str(d) for d in shape]
    ways = {f"({','.join(dims)})", f"[{','.join(dims)}]", "x".join(dims), "×".join(dims)}
    if len(dims) == 1:
        ways.add(f"({dims[0]},)")
    return any(w in flat for w in ways)


def close(got: object, expected: object, tol: float = TOL) -> bool:
    """Equal within `tol` (relative and absolute), element by element; plain Python only."""
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(got, (list, tuple))
            and len(got) == len(expected)
            and all(close(g, e, tol) for g, e in zip(got, expected))
        )
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return False
    if not _isfinite(got):
        return False
    return abs(got - expected) <= tol + tol * abs(expected)


class Mistake(str):
    """The words that name a known mistake, with a short name that stays when the words change.

    It is the words wherever a string goes; the grader reports the name, prefixed with the
    exercise (`04/sum-not-mean`), so that an instructor can count who made which mistake.
    """

    name: str

    def __new__(cls, name: str, words: str) -> Mistake:
        made = super().__new__(cls, words)
        made.name = name
        return made


def message(what: str, got: str, expected: str, mistake: str | None = None) -> str:
    text = f"{what}\n  got:      {got}\n  expected: {expected}"
    if mistake:
        text += f"\n  Likely mistake: {mistake}"
    return text


_explained: list[str] = []  # the mistakes already explained in the running test
_named: list[Mistake] = []  # of those, the ones with a name, in order


def new_test() -> None:
    """Start a test with no mistake explained yet (conftest calls it before every test)."""
    _explained.clear()
    _named.clear()


def named_mistakes() -> list[tuple[str, str]]:
    """(name, words) of each named mistake that the running test explained, in order."""
    return [(m.name, str(m)) for m in _named]


def expect(ok: bool, what: str, got: str, expected: str, mistake: str | None = None) -> bool:
    """One teaching check. When `ok` is false the test fails with this message, and goes on.

    A mistake already explained earlier in the same test is not repeated.
    """
    if not ok:
        if mistake in _explained:
            mistake = None
        elif mistake:
            _explained.append(mistake)
            if isinstance(mistake, Mistake):
                _named.append(mistake)
        _fail(message(what, got, expected, mistake))
    return bool(ok)


def expect_tensor(x: object, what: str) -> TensorFacts | None:
    """The facts of `x` if it is a torch.Tensor; otherwise a failed check and None."""
    if is_tensor(x):
        return facts(x)
    mistake = None
    if isinstance(x, (int, float)):
        mistake = Mistake("python-number", "a tensor became a Python number, typically through .item() or "
                                           "float(); return the tensor itself.")
    elif x is None:
        mistake = Mistake("none-for-tensor", "None stands where a tensor belongs: a function without a `return` "
                                             "gives None, and so does the .grad of a tensor that backward() never "
                                             "reached.")
    expect(False, what, show(x), "a torch.Tensor", mistake)
    return None


def expect_tuple(x: object, count: int, what: str, example: str) -> list | None:
    """The items of `x` if it is a tuple of `count` values; otherwise a failed check and None."""
    if isinstance(x, tuple) and len(x) == count:
        return list(x)
    expected = f"a tuple of {count} values, like {example}"
    if isinstance(x, list) and len(x) == count:
        mistake = Mistake("list-not-tuple",
                          f"a list came back; return a tuple instead: {example}, or tuple(your_list).")
    elif isinstance(x, (tuple, list)):
        mistake = Mistake("wrong-count", f"{len(x)} values came back instead of {count}.")
    elif x is None:
        mistake = Mistake("no-return", "the function does not `return` its result.")
    elif is_tensor(x):
        mistake = Mistake("one-tensor", f"one tensor came back; return the {count} results together: {example}.")
    else:
        mistake = None
    expect(False, what, show(x), expected, mistake)
    return None


def expect_scalar(x: object, what: str, shape_mistake: str | None = None) -> TensorFacts | None:
    """The facts of `x` if it is a 0-dim float32 tensor; otherwise failed checks and None."""
    t = expect_tensor(x, what)
    if t is None:
        return None
    if shape_mistake is None and t.shape == (1,):
        shape_mistake = Mistake("shape-1-not-0dim",
                                "shape (1,) is one dimension holding one number; a 0-dim tensor has no dimension "
                                "at all: it is made from the number itself, like torch.tensor(2.0), or with "
                                "shape (), like torch.zeros(()).")
    shape_ok = expect(t.shape == (), f"{what}.shape", str(t.shape), "() (a 0-dim tensor)", shape_mistake)
    dtype_ok = expect(
        t.dtype == "float32", f"{what}.dtype", t.dtype, "float32",
        Mistake("integer-dtype", "torch.tensor(0) or torch.tensor(1) makes an integer tensor; write 0.0, or use "
                                 "torch.zeros_like(t).") if t.dtype.startswith("int") else
        Mistake("other-float-dtype", "the tensor has another float type; keep the float32 that tracked() and "
                                     "torch.tensor make."),
    )
    return t if shape_ok and dtype_ok else None


def diagnose(got: object, wrong: Sequence[tuple[object, str]], tol: float = TOL) -> str | None:
    """The explanation of the known wrong answer that `got` equals, if it equals exactly one:
    numbers that two mistakes give name neither."""
    matches = {explanation for value, explanation in wrong if close(got, value, tol)}
    return matches.pop() if len(matches) == 1 else None


def call(fn: Callable, *args, describe: str):
    """Call the learner's function; if it raises, the message says which call it was."""
    try:
        return fn(*args)
    except Exception as exc:
        exc.add_note(f"while running {describe}")
        raise


def attempt(fn: Callable, *args, describe: str) -> tuple[object, Exception | None]:
    """(result, None), or (None, the exception) when the learner's function raises.

    For tests that expect an exception. A stub that is not done yet, and a file that the
    grader refuses to load, still end the test as they would anywhere else.
    """
    try:
        return fn(*args), None
    except (NotImplementedError, LoadError) as exc:
        exc.add_note(f"while running {describe}")
        raise
    except Exception as exc:
        return None, exc


def reraise(exc: Exception, describe: str) -> NoReturn:
    """Raise an exception that support.attempt caught, noting (once) which call it came from."""
    note = f"while running {describe}"
    if note not in getattr(exc, "__notes__", ()):
        exc.add_note(note)
    raise exc


def is_float(x: object) -> bool:
    """A plain Python float (not a tensor, not a subclass such as numpy.float64)."""
    return _type(x) is float


def floats(items: object) -> list[float] | None:
    """`items` as a list of finite Python floats (0-dim tensors read out), or None if it is not one."""
    if not isinstance(items, (list, tuple)):
        return None
    out = []
    for item in items:
        if is_tensor(item) and facts(item).shape == ():
            item = facts(item).value
        if _type(item) not in (int, float) or not _isfinite(item):
            return None
        out.append(float(item))
    return out


def values(t: torch.Tensor) -> object:
    """Plain Python values of a tensor the tests made themselves."""
    with _no_torch_function():
        return _tolist(_detach(t))


def handing_out(items: list) -> tuple[Iterator, list]:
    """(a generator over `items`, the list of the items it has handed out so far)."""
    handed: list = []

    def generator():
        for item in items:
            handed.append(item)
            yield item

    return generator(), handed


def generator_mistake(handed: list, right_with_a_list: bool) -> str | None:
    """Why a function that takes params went wrong when they came as a generator, from what the
    generator `handed` out; None unless the same call with a list was right."""
    if not right_with_a_list:
        return None
    if not handed:
        return Mistake("generator-not-read", "nothing was taken out of the generator: params can be any "
                                             "iterable (a list, a tuple, a generator), and `for p in params:` "
                                             "reads every kind.")
    return Mistake("generator-read-twice", "a generator gives its items only once, and your code read params "
                                           "before the loop that changes them (a first loop, any(), all(), next() "
                                           "or similar), so that loop missed some or all of them. Read params "
                                           "once: `for p in params:` (or make a list of it first).")


# --- What the learner's code did: the record of one call (conftest's `record` makes it) ---


@dataclass
class Call:
    """One call that the recorder saw while the learner's code ran."""

    name: str  # a learner function's name, "backward" for backward(), or "torch.tensor" and the like
    args: tuple
    kwargs: dict
    result: object = None  # what it returned; None while it runs, and when it raised

    def arg(self, position: int, name: str) -> object:
        """The argument given at `position`, or by keyword `name`; None when it was not given."""
        return self.args[position] if len(self.args) > position else self.kwargs.get(name)


@dataclass
class Run:
    """One call of a learner's function: its result (or the exception it raised) and, in
    order, the calls it made that the recorder watched."""

    result: object
    error: Exception | None
    calls: list[Call] = field(default_factory=list)

    def names(self) -> list[str]:
        return [c.name for c in self.calls]

    def of(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def reraise(self, describe: str) -> NoReturn:
        """Raise the exception of a run that raised one (see support.reraise)."""
        reraise(self.error, describe)


def loaded(function: str) -> ModuleType | None:
    """The learner's module that defines `function`, if it is loaded: only then can anything
    call it (an exercise that uses it has imported it)."""
    ex = course().find(function)
    return sys.modules.get(f"{PACKAGE}.{ex.folder}.{ex.stem}")
