"""Exercise 02: sum_of_squares_grads(a, b) returns (dc/da, dc/db) of c = a**2 + b**2, found by backward()."""

import torch
from support import call, close, diagnose, expect, expect_scalar, expect_tuple, fmt

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
        ([2 * b, 2 * a], "the two gradients are swapped: return a's gradient first, then b's."),
        ([a, b], "these are a and b themselves: after c.backward(), return the .grad of the "
                 "tensors you made from a and b."),
        ([a * a, b * b], "these are a**2 and b**2, the terms of c, not their derivatives: after "
                         "c.backward(), return the .grad of the tensors you made from a and b."),
        ([1.0, 1.0], "these are the derivatives of a + b: square a and b in c (a**2 + b**2)."),
        ([-2 * a, -2 * b], "the signs are flipped: the derivative of a**2 is 2a."),
        ([4 * a, 4 * b], "each gradient is twice too big: backward() ran twice, and gradients "
                         "add up. Call c.backward() once."),
    ]
    if (a, b) != TUTORIAL:
        wrong.append((TUTORIAL_GRADS, "the answer does not depend on a and b: 4 and 6 are right "
                                      "only at (2, 3). Compute the gradients from the inputs."))
    return wrong


def _check(sum_of_squares_grads, a: float, b: float) -> bool:
    """One call, every check; True when all of them pass."""
    what = f"sum_of_squares_grads({a}, {b})"
    items = expect_tuple(call(sum_of_squares_grads, a, b, describe=what), 2, what, "(a_t.grad, b_t.grad)")
    if items is None:
        return False
    da = expect_scalar(items[0], f"{what}[0]")
    db = expect_scalar(items[1], f"{what}[1]")
    if da is None or db is None:
        return False
    got = [da.value, db.value]
    return expect(close(got, _expected(a, b)), what, fmt(got), f"{fmt(_expected(a, b))} (2a and 2b)",
                  diagnose(got, _wrong(a, b)))


def test_gradients_at_a_2_b_3_are_4_and_6(sum_of_squares_grads):
    _check(sum_of_squares_grads, *TUTORIAL)


def test_gradients_are_2a_and_2b_at_other_points(sum_of_squares_grads):
    for a, b in POINTS:
        if not _check(sum_of_squares_grads, a, b):
            return  # one failing input is enough to read; the others would repeat it


def test_gradients_come_from_backward(sum_of_squares_grads, spy):
    backward = spy(torch.autograd, "backward")
    call(sum_of_squares_grads, *TUTORIAL, describe="sum_of_squares_grads(2.0, 3.0)")
    expect(
        backward.count >= 1, "sum_of_squares_grads(2.0, 3.0), counting calls of backward()",
        "backward() was never called", "c.backward() called once",
        "the gradients were worked out without autograd (a formula such as 2 * a). This exercise "
        "is about autograd: build c from tracked tensors and call c.backward().",
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
        "the gradients of earlier calls were added in: the function reuses tensors between "
        "calls (made once, outside the function), and backward() adds to .grad. Make new "
        "tensors with tracked() inside the function, every time."
        if calls > 1 and close(got, [calls * g for g in TUTORIAL_GRADS]) else None,
    )
