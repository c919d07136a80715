"""Exercise 13: relu(x) is max(x, 0) element by element: a new tensor of x's shape and dtype, differentiable."""

import torch
from support import Mistake, attempt, close, diagnose, expect, expect_tensor, fmt, show, values

EXAMPLE = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
_gen = torch.Generator().manual_seed(13)
CASES = [
    ("x = [-2, -0.5, 0, 0.5, 3]", EXAMPLE),
    ("x of shape (3, 4), random", torch.randn(3, 4, generator=_gen)),
    ("x of shape (2, 3, 2), random, float64", torch.randn(2, 3, 2, generator=_gen, dtype=torch.float64)),
]
# No zeros here: autograd may take any slope between 0 and 1 at x = 0.
GRAD_X = torch.randn(4, 3, generator=_gen) + 0.01
GRAD_WEIGHTS = torch.randn(4, 3, generator=_gen)
AMBIGUOUS = "Boolean value of Tensor with more than one value is ambiguous"
IN_PLACE_ERROR = "leaf Variable that requires grad is being used in an in-place operation"
MAX_ALONG_DIM = Mistake("max-along-dim",
                        "torch.max(x, 0) is not max(x, 0) element by element: its 0 names a dimension, and it returns the "
                        "largest value along that dimension with its index (a torch.return_types.max). Compare with 0 "
                        "element by element: torch.clamp(x, min=0), or torch.maximum(x, torch.zeros_like(x)).")


def _wrong(x: torch.Tensor) -> list[tuple[object, str]]:
    """What the usual mistakes return for x, with what each one means."""
    return [
        (values(x.clamp(max=0)), Mistake("min-not-max",
                                 "this is min(x, 0): the negatives were kept and the rest cut. relu keeps "
                                 "the positives: torch.clamp(x, min=0).")),
        (values(x), Mistake("unchanged", "x came back unchanged: the negatives must become 0.")),
        (values(x.abs()), Mistake("abs", "the negatives were turned positive (abs), not set to 0.")),
        (values((x > 0).to(x.dtype)), Mistake("mask",
                                      "this is the mask x > 0 (ones and zeros): multiply it by x, or use "
                                      "torch.where(x > 0, x, 0.0).")),
        (values(torch.where(x > 0, x, 0.01 * x)), Mistake("leaky",
                                                  "this is a leaky relu (negatives times 0.01): relu sets "
                                                  "them to 0.")),
        (values(torch.sigmoid(x)), Mistake("sigmoid", "this is the sigmoid, another nonlinearity: relu is max(x, 0).")),
    ]


def _call(relu, x: torch.Tensor, what: str):
    """(the result, None), or (None, a failed check) when relu raised a mistake worth naming."""
    result, exc = attempt(relu, x, describe=what)
    if exc is None:
        return result
    if isinstance(exc, RuntimeError) and AMBIGUOUS in str(exc):
        expect(False, what, f"RuntimeError: {exc}", "a tensor",
               Mistake("python-max",
               "Python's max() (or an `if`) compares whole tensors, which has no single answer. Compare element "
               "by element with tensor operations: torch.clamp(x, min=0) or torch.where(x > 0, x, 0.0)."))
    elif isinstance(exc, RuntimeError) and IN_PLACE_ERROR in str(exc):
        expect(False, what, f"RuntimeError: {exc}", "a new tensor",
               Mistake("in-place-grad",
               "relu changed x in place (clamp_, relu_, x[x < 0] = 0), which autograd refuses for a tensor that "
               "requires grad: compute a new tensor instead, torch.clamp(x, min=0)."))
    else:
        raise exc
    return None


def _tensor(result: object, what: str):
    """The facts of relu's result if it is a tensor; otherwise None, after a failed check."""
    if isinstance(result, torch.return_types.max):
        expect(False, what, show(result), "a torch.Tensor", MAX_ALONG_DIM)
        return None
    return expect_tensor(result, what)


def test_negatives_become_zero_and_the_rest_pass(relu):
    for label, x in CASES:
        what = f"relu(x) with {label}"
        expected = values(torch.relu(x))
        result = _call(relu, x.clone(), what)
        if result is None:
            return
        got = _tensor(result, what)
        if got is None:
            return
        if not expect(got.shape == tuple(x.shape), f"the shape of {what}", str(got.shape), str(tuple(x.shape)),
                      Mistake("wrong-shape", "relu works element by element, so the result has x's shape.")):
            return
        if not expect(close(got.value, expected), what, fmt(got.value), fmt(expected), diagnose(got.value, _wrong(x))):
            return
        dtype = str(x.dtype).removeprefix("torch.")
        if not expect(got.dtype == dtype, f"the dtype of {what}", got.dtype, dtype,
                      Mistake("wrong-dtype",
                      "the result has another dtype than x: a tensor made anew (torch.tensor(...), torch.zeros(...)) "
                      "has a dtype of its own. Build the result from x: torch.where(x > 0, x, 0.0) keeps x's dtype.")):
            return


def test_leaves_x_unchanged_and_returns_a_new_tensor(relu):
    x = EXAMPLE.clone()
    what = "relu(x) with x = [-2, -0.5, 0, 0.5, 3]"
    result = _call(relu, x, what)
    if result is None:
        return
    in_place = (Mistake("changes-input",
                "relu changed x in place (clamp_, relu_, x[x < 0] = 0, or x *= ...): whoever called relu may "
                "still need x. Compute a new tensor instead: torch.clamp(x, min=0)."))
    expect(values(x) == values(EXAMPLE), f"x after {what}", fmt(values(x)), f"{fmt(values(EXAMPLE))}, unchanged", in_place)
    expect(result is not x, f"the tensor returned by {what}", "x itself", "a new tensor", in_place)


def test_is_differentiable(relu):
    x = GRAD_X.clone().requires_grad_(True)
    what = "relu(x) with x of shape (4, 3) that requires grad"
    result = _call(relu, x, what)
    if result is None:
        return
    got = _tensor(result, what)
    if got is None:
        return
    if not expect(got.requires_grad, f"({what}).requires_grad", "False", "True",
                  Mistake("cut-from-graph",
                  "the result was cut out of the graph (.tolist(), .item(), .detach(), .data or torch.tensor(...) "
                  "around it), so autograd cannot follow it back to x. Use tensor operations on x itself.")):
        return
    (result * GRAD_WEIGHTS).sum().backward()
    expected = values(GRAD_WEIGHTS * (GRAD_X > 0))
    grad = expect_tensor(x.grad, "x.grad after (relu(x) * w).sum().backward()")
    if grad is not None:
        expect(close(grad.value, expected), "x.grad after (relu(x) * w).sum().backward()", fmt(grad.value),
               f"{fmt(expected)} (w where x > 0, 0 where x < 0)")


def test_keeps_any_shape(relu):
    for shape in [(), (1,), (2, 1, 3)]:
        x = torch.linspace(-1, 1, max(1, torch.Size(shape).numel())).reshape(shape) - 0.25
        what = f"relu(x) with x of shape {shape}"
        result = _call(relu, x.clone(), what)
        if result is None:
            return
        got = _tensor(result, what)
        if got is None or not expect(got.shape == shape, f"the shape of {what}", str(got.shape), str(shape),
                                     Mistake("wrong-shape",
                                     "relu works element by element, so the result has x's shape, whatever it is.")):
            return
        expect(close(got.value, values(torch.relu(x))), what, show(result), fmt(values(torch.relu(x))))
