"""Helpers for the exercise tests: read the learner's results safely, and say what is wrong.

Everything here is taken when the tests are imported, before any learner code runs in
the process, and compares plain Python numbers: learner code that replaces
torch.allclose, Tensor.tolist or a tensor's comparison operators changes nothing here.

A failure message has one shape:

    <what was called, with which input>
      got:      <what came back>
      expected: <what should have come back>
      Likely mistake: <the usual cause, in words>
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from pytest_check import check

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
    text = repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


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


def message(what: str, got: str, expected: str, mistake: str | None = None) -> str:
    text = f"{what}\n  got:      {got}\n  expected: {expected}"
    if mistake:
        text += f"\n  Likely mistake: {mistake}"
    return text


def expect(ok: bool, what: str, got: str, expected: str, mistake: str | None = None) -> bool:
    """One teaching check. When `ok` is false the test fails with this message, and goes on."""
    if not ok:
        _fail(message(what, got, expected, mistake))
    return bool(ok)


def expect_tensor(x: object, what: str) -> TensorFacts | None:
    """The facts of `x` if it is a torch.Tensor; otherwise a failed check and None."""
    if is_tensor(x):
        return facts(x)
    mistake = None
    if isinstance(x, (int, float)):
        mistake = "a tensor became a Python number, typically through .item() or float(); return the tensor itself."
    elif x is None:
        mistake = "the function does not `return` its result, or returns a .grad that was never filled."
    expect(False, what, show(x), "a torch.Tensor", mistake)
    return None


def diagnose(got: object, wrong: Sequence[tuple[object, str]], tol: float = TOL) -> str | None:
    """The explanation of the first known wrong answer that `got` equals, if any."""
    for value, explanation in wrong:
        if close(got, value, tol):
            return explanation
    return None


def call(fn: Callable, *args, describe: str):
    """Call the learner's function; if it raises, the message says which call it was."""
    try:
        return fn(*args)
    except Exception as exc:
        exc.add_note(f"while running {describe}")
        raise


def values(t: torch.Tensor) -> object:
    """Plain Python values of a tensor the tests made themselves."""
    with _no_torch_function():
        return _tolist(_detach(t))
