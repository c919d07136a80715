"""Chapter 1's oracles: the lesson's own versions of the functions that later exercises build on,
to run a learner's function with in their place, and probes that say in a sentence how a
learner's version differs from the lesson (for diagnosis_support.earlier_fault).

Everything here is taken when the tests are imported, before any learner code runs in the
process; nothing runs on import.
"""

from __future__ import annotations

import torch
from diagnosis_support import learner_function, tried
from support import attempt, close, facts, fmt, is_tensor, loaded, show

_tensor = torch.tensor
_X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])  # the tutorial's data, y = 2x
_Y = 2 * _X


# --- exercise 01 ------------------------------------------------------------------------


def our_tracked(value: float) -> torch.Tensor:
    """tracked() as the lesson has it, to run a later exercise with in place of the learner's."""
    return _tensor(value, dtype=torch.float32, requires_grad=True)


def tracked_problem(name: str = "tracked") -> str | None:
    """How the learner's tracked differs from the lesson on tracked(2.0), in a sentence; None
    if it does not (a probe for earlier_fault, which passes the name)."""
    tracked = getattr(loaded(name), name)
    first, exc = attempt(tracked, 2.0, describe="tracked(2.0)")
    if exc is not None:
        return f"tracked(2.0) raises {type(exc).__name__}: {exc}"
    made = facts(first) if is_tensor(first) else None
    if made is None or not (made.shape == () and made.dtype == "float32" and made.requires_grad
                            and made.is_leaf and close(made.value, 2.0)):
        leaf = "" if made is None or made.is_leaf else " (not a leaf)"
        return (f"tracked(2.0) returns {show(first)}{leaf} where a 0-dim float32 leaf holding 2.0 "
                "that requires grad is expected")
    if tracked(2.0) is first:
        return "tracked(2.0) returns the same tensor every time it is called"
    return None


# --- exercises 04 to 08, for train (exercise 09) -----------------------------------------


def our_init_params() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros((), requires_grad=True), torch.zeros((), requires_grad=True)


def our_predict(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return w * x + b


def our_mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((y_pred - y) ** 2).mean()


def our_sgd_step(params, lr: float) -> None:
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * p.grad


def our_zero_grad(params) -> None:
    for p in params:
        if p.grad is not None:
            p.grad.zero_()


OURS = {"init_params": our_init_params, "predict": our_predict, "mse_loss": our_mse_loss,
        "sgd_step": our_sgd_step, "zero_grad": our_zero_grad}


def _leaf_with_grad() -> torch.Tensor:
    """p = 1.0 with p.grad = 2.0."""
    p = torch.tensor(1.0, requires_grad=True)
    p.grad = torch.tensor(2.0)
    return p


def _plain(result: object) -> str:
    return fmt(facts(result).value) if is_tensor(result) else show(result)


def _zero_leaf(t: object) -> bool:
    made = facts(t) if is_tensor(t) else None
    return made is not None and made.shape == () and made.requires_grad and made.is_leaf and made.value == 0.0


def _probe_init_params(init_params) -> str | None:
    what = "init_params()"
    result, raised = tried(what, init_params)
    if raised or (isinstance(result, tuple) and len(result) == 2 and result[0] is not result[1]
                  and all(map(_zero_leaf, result))):
        return raised
    return f"{what} returns {show(result)} where two separate 0-dim leaves equal to 0.0 that require grad are expected"


def _probe_predict(predict) -> str | None:
    what, want = "predict(x, w=2.0, b=1.0)", [[3.0], [5.0], [7.0], [9.0]]
    result, raised = tried(what, predict, _X.clone(), torch.tensor(2.0), torch.tensor(1.0))
    if raised or (is_tensor(result) and close(facts(result).value, want)):
        return raised
    return f"{what} returns {_plain(result)} where {fmt(want)} is expected"


def _probe_mse_loss(mse_loss) -> str | None:
    what = "mse_loss(zeros(4, 1), y)"
    result, raised = tried(what, mse_loss, torch.zeros(4, 1), _Y.clone())
    if raised or (is_tensor(result) and close(facts(result).value, 30.0)):
        return raised
    return f"{what} returns {_plain(result)} where 30.0 is expected"


def _probe_sgd_step(sgd_step) -> str | None:
    what, p = "sgd_step([p], lr=0.1) with p = 1.0 and p.grad = 2.0", _leaf_with_grad()
    _, raised = tried(what, sgd_step, [p], 0.1)
    if raised or close(facts(p).value, 0.8):
        return raised
    return f"{what} leaves p = {fmt(facts(p).value)} where 0.8 is expected"


def _probe_zero_grad(zero_grad) -> str | None:
    what, p = "zero_grad([p]) with p.grad = 2.0", _leaf_with_grad()
    grad = p.grad
    _, raised = tried(what, zero_grad, [p])
    if raised or (p.grad is grad and close(facts(grad).value, 0.0)):
        return raised
    if p.grad is grad:
        return f"{what} leaves p.grad at {_plain(grad)} where 0.0 is expected"
    return f"{what} puts {show(p.grad)} in p.grad where the same tensor, now holding 0.0, is expected"


PROBES = {"init_params": _probe_init_params, "predict": _probe_predict, "mse_loss": _probe_mse_loss,
          "sgd_step": _probe_sgd_step, "zero_grad": _probe_zero_grad}


def probe(name: str) -> str | None:
    """How the learner's `name` (one of exercises 04 to 08) differs from the lesson on one small
    input, in a sentence; None if it does not show there."""
    return PROBES[name](learner_function(name))
