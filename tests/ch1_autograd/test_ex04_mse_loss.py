"""Exercise 04: mse_loss(y_pred, y) is the 0-dim mean of (y_pred - y) ** 2, and refuses shapes that differ."""

import torch
import torch.nn.functional as F
from support import (
    Mistake, attempt, call, close, diagnose, expect, expect_scalar, expect_tensor, facts, fmt, is_tensor,
    names_shape, show, values,
)

# The tutorial's targets; before training the line predicts 0 everywhere.
TUTORIAL_Y = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
TUTORIAL_LOSS = 30.0  # (2**2 + 4**2 + 6**2 + 8**2) / 4

_gen = torch.Generator().manual_seed(4)
CASES = [
    (torch.tensor([[1.0], [2.0]]), torch.tensor([[1.0], [4.0]])),  # the docstring's example: 2.0
    *[(torch.randn(shape, generator=_gen), torch.randn(shape, generator=_gen))
      for shape in [(4, 1), (3, 5), (2, 3, 4), (6,), ()]],
]
EXPECTED = [F.mse_loss(y_pred, y).item() for y_pred, y in CASES]


def _wrong(y_pred: torch.Tensor, y: torch.Tensor) -> list[tuple[float, str]]:
    """The losses that the usual mistakes give, with what each one means."""
    d = y_pred - y
    rows = d.shape[0] if d.dim() else 1
    return [
        ((d**2).sum().item(), Mistake("sum-not-mean",
                              "this is the sum of the squared differences: take their mean "
                              "(.mean()), so the loss does not grow with the number of examples.")),
        (d.mean().item(), Mistake("not-squared",
                          "the differences were not squared, so positive and negative errors "
                          "cancel out: square them, then take the mean.")),
        (d.abs().mean().item(), Mistake("absolute",
                                "this is the mean of the absolute differences: square them instead.")),
        ((d**2).mean().sqrt().item(), Mistake("square-root",
                                      "this is the square root of the mean squared error: leave "
                                      "out the square root.")),
        ((d.mean() ** 2).item(), Mistake("mean-before-square",
                                 "the mean was taken before squaring: square each difference "
                                 "first, then take the mean.")),
        ((d**2).sum().item() / rows, Mistake("rows-not-elements",
                                     "the sum was divided by the number of rows, not the number "
                                     "of elements: .mean() averages over every element.")),
        ((d**2).mean().item() / 2, Mistake("half", "this is half the mean squared error: leave out the 1/2.")),
    ]


WRONG = [_wrong(y_pred, y) for y_pred, y in CASES]
TUTORIAL_WRONG = _wrong(torch.zeros(4, 1), TUTORIAL_Y)


def _not_0dim(loss: object, y_pred: torch.Tensor) -> str | None:
    """What a loss that still has dimensions shows, from its shape."""
    if not is_tensor(loss) or facts(loss).shape == ():
        return None
    if facts(loss).shape == tuple(y_pred.shape):
        return (Mistake("no-mean",
                "no mean was taken: this is one squared difference per element. Average them all "
                "with .mean(), which gives a 0-dim tensor."))
    return (Mistake("mean-along-dim",
            f"a loss of shape {facts(loss).shape} is what a mean along one dimension (like "
            ".mean(dim=0)) leaves; .mean() with no argument averages over every element and gives "
            "a 0-dim tensor."))


# For the gradient: y_pred's grad of the mean squared error is 2 * (y_pred - y) / N.
GRAD_Y_PRED = torch.randn(5, 1, generator=_gen)
GRAD_Y = torch.randn(5, 1, generator=_gen)
EXPECTED_GRAD = values(2 * (GRAD_Y_PRED - GRAD_Y) / GRAD_Y.numel())

# Shapes that differ: the first pair broadcasts to (4, 4) without a complaint.
MISMATCHED = [((4, 1), (4,)), ((4,), (4, 1)), ((2, 3), (3, 2)), ((4, 1), (1,)), ((3,), (4,))]


def _check_loss(mse_loss, y_pred: torch.Tensor, y: torch.Tensor, what: str, expected: float, wrong) -> bool:
    before = (values(y_pred), values(y))
    y_pred_in, y_in = y_pred.clone(), y.clone()
    result = call(mse_loss, y_pred_in, y_in, describe=what)
    loss = expect_scalar(result, what, _not_0dim(result, y_pred))
    untouched = expect(
        (values(y_pred_in), values(y_in)) == before, f"y_pred and y after {what}",
        "your code changed them", "unchanged",
        Mistake("changes-inputs",
        "mse_loss changed its inputs in place (with -=, **= or a method ending in _). Compute new "
        "tensors instead: y_pred - y."),
    )
    if loss is None:
        return False
    return untouched and expect(close(loss.value, expected), what, fmt(loss.value), fmt(expected),
                                diagnose(loss.value, wrong))


def _describe(t: torch.Tensor, name: str) -> str:
    if t.numel() <= 4:
        return f"{name} = {fmt(values(t), 4)}"
    return f"{name} of shape {tuple(t.shape)} (random values)"


def test_tutorial_targets_with_zero_predictions_give_30(mse_loss):
    _check_loss(mse_loss, torch.zeros(4, 1), TUTORIAL_Y, "mse_loss(zeros(4, 1), y = [[2], [4], [6], [8]])",
                TUTORIAL_LOSS, TUTORIAL_WRONG)


def test_mean_of_squared_differences_for_any_shape(mse_loss):
    for (y_pred, y), expected, wrong in zip(CASES, EXPECTED, WRONG):
        what = f"mse_loss(y_pred, y) with {_describe(y_pred, 'y_pred')}, {_describe(y, 'y')}"
        if not _check_loss(mse_loss, y_pred, y, what, expected, wrong):
            return  # one failing input is enough to read


def test_loss_is_differentiable_in_y_pred(mse_loss):
    y_pred = GRAD_Y_PRED.clone().requires_grad_(True)
    what = "mse_loss(y_pred, y) with y_pred a (5, 1) tensor that requires grad"
    result = call(mse_loss, y_pred, GRAD_Y.clone(), describe=what)
    loss = expect_scalar(result, what, _not_0dim(result, y_pred))
    if loss is None:
        return
    if not expect(
        loss.requires_grad, f"({what}).requires_grad", "False", "True",
        Mistake("cut-from-graph",
        "the loss was cut out of the graph, so backward() cannot reach y_pred: .item(), float(), "
        ".detach() or torch.tensor(...) around the result. Keep it a tensor made by tensor operations."),
    ):
        return
    result.backward()
    grad = expect_tensor(y_pred.grad, f"y_pred.grad after ({what}).backward()")
    if grad is not None:
        expect(close(grad.value, EXPECTED_GRAD), f"y_pred.grad after ({what}).backward()",
               fmt(grad.value), f"{fmt(EXPECTED_GRAD)} (2 * (y_pred - y) / 5)")


def test_different_shapes_raise_value_error_naming_both(mse_loss):
    for pred_shape, y_shape in MISMATCHED:
        what = f"mse_loss(y_pred of shape {pred_shape}, y of shape {y_shape})"
        expected = f"ValueError, with {pred_shape} and {y_shape} in its message"
        result, exc = attempt(mse_loss, torch.ones(pred_shape), torch.ones(y_shape), describe=what)
        if exc is None:
            ok = expect(False, what, f"returned {show(result)}, no error", expected,
                        Mistake("no-shape-check",
                        "the shapes were not compared, so PyTorch broadcast them: (4, 1) minus (4,) "
                        "silently becomes a (4, 4) grid of every difference. Compare y_pred.shape "
                        "with y.shape first and raise ValueError when they differ."))
        elif not isinstance(exc, ValueError):
            ok = expect(False, what, f"{type(exc).__name__}: {exc}", expected,
                        Mistake("wrong-exception",
                        "raise ValueError yourself, with both shapes in the message, before any "
                        "arithmetic (assert gives AssertionError, and PyTorch's own shape error "
                        "is a RuntimeError)."))
        else:
            ok = expect(names_shape(str(exc), pred_shape) and names_shape(str(exc), y_shape),
                        what, f"ValueError: {exc}", expected,
                        Mistake("shapes-not-in-message",
                        "the message must show both shapes, for example "
                        "f\"shapes differ: {tuple(y_pred.shape)} vs {tuple(y.shape)}\"."))
        if not ok:
            return  # one failing pair is enough to read
