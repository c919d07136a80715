"""Exercise 02: sum_of_squares_grads(a, b) returns (dc/da, dc/db) of c = a**2 + b**2, found by backward()."""

import torch
from autograd_support import our_tracked, tracked_problem
from diagnosis_support import earlier_fault
from support import (
    Mistake, Run, call, close, diagnose, expect, expect_scalar, expect_tuple, facts, floats,
    fmt, is_tensor, show,
)

# The tutorial's figures: at a = 2, b = 3 autograd finds 4 and 6.
TUTORIAL = (2.0, 3.0)
TUTORIAL_GRADS = [4.0, 6.0]

_gen = torch.Generator().manual_seed(2)
POINTS = [(-1.5, 0.5), (0.0, 4.0)] + [
    (round(a, 3), round(b, 3)) for a, b in (torch.rand(3, 2, generator=_gen) * 10 - 5).tolist()
]


def _expected(a: float, b: float) -> list[float]:
    """dc/da = 2a and dc/db = 2b."""
    return [2 * a, 2 * b]


def _wrong(a: float, b: float) -> list[tuple[list[float], str]]:
    """Answers that the usual mistakes give at (a, b), with what each one means."""
    wrong = [
        ([2 * b, 2 * a], Mistake("swapped-gradients",
                         "the two gradients are swapped: return a's gradient first, then b's.")),
        ([a, b], Mistake("returned-inputs",
                 "these are a and b themselves: after c.backward(), return the .grad of the "
                 "tensors you made from a and b.")),
        ([a * a, b * b], Mistake("returned-squares",
                         "these are a**2 and b**2, the terms of c, not their derivatives: after "
                         "c.backward(), return the .grad of the tensors you made from a and b.")),
        ([1.0, 1.0], Mistake("no-squares", "these are the derivatives of a + b: square a and b in c (a**2 + b**2).")),
        ([-2 * a, -2 * b], Mistake("flipped-signs", "the signs are flipped: the derivative of a**2 is 2a.")),
        ([4 * a, 4 * b], Mistake("twice-too-big", "each gradient is twice too big.")),
    ]
    if (a, b) != TUTORIAL:
        wrong.append((TUTORIAL_GRADS, Mistake("constant-answer",
                                      "the answer does not depend on a and b: 4 and 6 are right "
                                      "only at (2, 3). Compute the gradients from the inputs.")))
    return wrong


def _pair(grads: list[float]) -> str:
    """Two gradients written as the tuple of tensors that the function returns."""
    return f"({', '.join(f'tensor({fmt(g)})' for g in grads)})"


def _right(result: object, a: float, b: float) -> bool:
    """Whether `result` is the two gradients, as 0-dim float32 tensors."""
    if not (isinstance(result, tuple) and len(result) == 2 and all(is_tensor(g) for g in result)):
        return False
    grads = [facts(g) for g in result]
    return (all(g.shape == () and g.dtype == "float32" for g in grads)
            and close([g.value for g in grads], _expected(a, b)))


def _observed(run: Run, a: float, b: float) -> str | None:
    """The mistake that the calls of the learner's code single out, if they do."""
    made, backward = run.of("tracked"), run.of("backward")
    values = [made_by.arg(0, "value") for made_by in made]
    if made and not (a in values and b in values):
        values = " and ".join(map(fmt, values))
        return (Mistake("tracked-wrong-values",
                f"tracked was called with {values}, not with a and b ({fmt(a)} and {fmt(b)}): make "
                "the tensors from the function's inputs."))
    if not backward:
        return (Mistake("no-backward",
                "c.backward() was never called, so the tensors made from a and b have no .grad "
                "yet (it is None). Call c.backward() first, then return their .grad."))
    if len(backward) > 1:
        return (Mistake("backward-many-times",
                f"backward() was called {len(backward)} times, and each call adds to .grad: call "
                "c.backward() once."))
    c = backward[0].arg(0, "tensors")
    want = a * a + b * b
    if is_tensor(c) and facts(c).shape == () and not close(facts(c).value, want):
        got = facts(c).value
        return Mistake("wrong-c", f"backward() was called on c = {fmt(got)}, but a**2 + b**2 is {fmt(want)} here"
                       + (": c is a + b. Square a and b in c." if close(got, a + b) else
                          ": compute c = a_t**2 + b_t**2 from the tracked tensors."))
    if is_tensor(c) and c.grad_fn is None:
        return (Mistake("backward-on-a-leaf",
                "backward() was called on a new tensor (a leaf), not on one computed from the "
                "tracked tensors, so it never reached them: compute c = a_t**2 + b_t**2 from them."))
    result = run.result if isinstance(run.result, tuple) else (run.result,)
    kept = c.grad if is_tensor(c) and c.retains_grad else None
    if kept is not None and any(g is kept for g in result):
        return (Mistake("returned-c-grad",
                "c.grad came back: the gradient of c with respect to itself, which is always 1. "
                "Return the .grad of the tensors you made from a and b."))
    leaves = [made_by.result for made_by in made]
    if not (len(leaves) == 2 and all(is_tensor(t) and t.is_leaf for t in leaves)):
        return None
    grads = [t.grad for t in leaves]
    if not all(is_tensor(g) for g in grads) or not close([facts(g).value for g in grads], _expected(a, b)):
        return None
    if len(result) == 2 and result[0] is grads[1] and result[1] is grads[0]:
        return Mistake("swapped-gradients", "the two gradients are swapped: return a's gradient first, then b's.")
    if len(result) == 2 and result[0] is result[1] and any(result[0] is g for g in grads):
        twice = "a" if result[0] is grads[0] else "b"
        return Mistake("gradient-twice", f"{twice}'s gradient came back twice: return a_t.grad, b_t.grad.")
    if len(result) == 2 and result[0] is leaves[0] and result[1] is leaves[1]:
        return (Mistake("returned-tensors",
                "the tensors made from a and b came back themselves, not their gradients: return "
                "a_t.grad and b_t.grad."))
    got = floats(result)
    if got is not None and close(got, _expected(a, b)):
        return None  # the right numbers in the wrong form: the checks that follow say which
    return (Mistake("wrong-return",
            f"after c.backward() the tensors made from a and b hold the right gradients, "
            f"{fmt([facts(g).value for g in grads])}, but something else came back: return their "
            ".grad, a_t.grad and b_t.grad."))


def _check(sum_of_squares_grads, record, a: float, b: float) -> bool:
    """One call, every check; True when all of them pass."""
    what = f"sum_of_squares_grads({a}, {b})"
    expected = f"{_pair(_expected(a, b))}, 2a and 2b"
    run = record(sum_of_squares_grads, a, b, describe=what, watch=["tracked"])
    if run.error is None and _right(run.result, a, b):
        return True
    blamed = run.of("tracked") and earlier_fault(
        "sum_of_squares_grads",
        lambda using: _right(record(sum_of_squares_grads, a, b, describe=what, using=using).result, a, b),
        {"tracked": our_tracked}, tracked_problem)
    if blamed:
        got = show(run.result) if run.error is None else f"{type(run.error).__name__}: {run.error}"
        return expect(False, what, got, expected, blamed)
    if run.error is not None:
        run.reraise(what)
    observed = _observed(run, a, b)
    if observed:
        return expect(False, what, show(run.result), expected, observed)
    items = expect_tuple(run.result, 2, what, "(a_t.grad, b_t.grad)")
    if items is None:
        return False
    da = expect_scalar(items[0], f"{what}[0]")
    db = expect_scalar(items[1], f"{what}[1]")
    if da is None or db is None:
        return False
    got = [da.value, db.value]
    return expect(close(got, _expected(a, b)), what, _pair(got), expected, diagnose(got, _wrong(a, b)))


def test_gradients_at_a_2_b_3_are_4_and_6(sum_of_squares_grads, record):
    _check(sum_of_squares_grads, record, *TUTORIAL)


def test_gradients_are_2a_and_2b_at_other_points(sum_of_squares_grads, record):
    for a, b in POINTS:
        if not _check(sum_of_squares_grads, record, a, b):
            return  # one failing input is enough to read; the others would repeat it


def test_gradients_come_from_backward(sum_of_squares_grads, spy):
    backward = spy(torch.autograd, "backward")
    call(sum_of_squares_grads, *TUTORIAL, describe="sum_of_squares_grads(2.0, 3.0)")
    expect(
        backward.count >= 1, "sum_of_squares_grads(2.0, 3.0), counting calls of backward()",
        "backward() was never called", "c.backward() called once",
        Mistake("no-autograd",
        "the gradients were worked out without autograd (a formula such as 2 * a). This exercise "
        "is about autograd: build c from tracked tensors and call c.backward()."),
    )


def test_each_call_starts_from_fresh_tensors(sum_of_squares_grads):
    what = "sum_of_squares_grads(2.0, 3.0), called a second time"
    call(sum_of_squares_grads, *TUTORIAL, describe="sum_of_squares_grads(2.0, 3.0)")
    items = expect_tuple(call(sum_of_squares_grads, *TUTORIAL, describe=what), 2, what, "(a_t.grad, b_t.grad)")
    if items is None:
        return
    da, db = expect_scalar(items[0], f"{what}[0]"), expect_scalar(items[1], f"{what}[1]")
    if da is None or db is None:
        return
    got = [da.value, db.value]
    calls = round(got[0] / TUTORIAL_GRADS[0])
    expect(
        close(got, TUTORIAL_GRADS), what, fmt(got), fmt(TUTORIAL_GRADS),
        Mistake("reuses-tensors",
        "the gradients of earlier calls were added in: the function reuses tensors between "
        "calls (made once, outside the function), and backward() adds to .grad. Make new "
        "tensors with tracked() inside the function, every time.")
        if calls > 1 and close(got, [calls * g for g in TUTORIAL_GRADS]) else None,
    )
