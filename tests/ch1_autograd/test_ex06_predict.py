"""Exercise 06: predict(x, w, b) is w * x + b, with the shape of x, differentiable in w and b."""

import torch
from support import Mistake, call, close, diagnose, expect, expect_tensor, fmt, values

# The docstring's example on the tutorial's x: w = 2 and b = 1 give 2x + 1.
TUTORIAL_X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
TUTORIAL_W, TUTORIAL_B = 2.0, 1.0
TUTORIAL_EXPECTED = [[3.0], [5.0], [7.0], [9.0]]

_gen = torch.Generator().manual_seed(6)
CASES = [
    (torch.randn(shape, generator=_gen), torch.randn((), generator=_gen), torch.randn((), generator=_gen))
    for shape in [(4, 1), (5,), (2, 3), ()]
]
EXPECTED = [values(w * x + b) for x, w, b in CASES]

GRAD_X = torch.randn(3, 1, generator=_gen)
GRAD_W, GRAD_B = 0.5, -1.0
# d(sum(w * x + b))/dw = sum(x), and /db = the number of elements.
EXPECTED_GRADS = [values(GRAD_X.sum()), float(GRAD_X.numel())]


def _wrong(x: torch.Tensor, w: torch.Tensor | float, b: torch.Tensor | float) -> list[tuple[object, str]]:
    return [
        (values(w * x + 0 * b), Mistake("no-b", "b was left out: the line is w * x + b.")),
        (values(b * x + w), Mistake("swapped-w-b", "w and b are swapped: w multiplies x, b is added.")),
        (values(w * (x + b)), Mistake("parentheses", "the parentheses are off: this is w * (x + b), not w * x + b.")),
        (values(x + b + 0 * w), Mistake("no-w", "w was left out: the line is w * x + b.")),
        (values((w + b) * x), Mistake("b-times-x",
                              "b was multiplied by x too: the line is w * x + b, with b added on its own.")),
    ]


def _shape_mistake(got: tuple[int, ...], want: tuple[int, ...]) -> str:
    if got == ():
        return Mistake("reduced",
               "the result was reduced to one number (sum, mean or .item()); return one prediction per element of x.")
    return (Mistake("reshaped",
            "something reshaped x or the result (flatten, view, squeeze, unsqueeze or similar); "
            f"w * x + b already has the shape of x, {want}, when w and b are 0-dim."))


def _check(predict, x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, what: str, expected, wrong) -> bool:
    before = [values(x), values(w), values(b)]
    args = [x.clone(), w.clone(), b.clone()]
    y = expect_tensor(call(predict, *args, describe=what), what)
    untouched = expect(
        [values(a) for a in args] == before, f"x, w and b after {what}", "your code changed them",
        "unchanged", Mistake("changes-inputs",
                     "predict changed its inputs in place (with *=, += or a method ending in _). "
        "Compute a new tensor instead: w * x + b."),
    )
    if y is None:
        return False
    want = tuple(x.shape)
    if not expect(y.shape == want, f"{what}.shape", str(y.shape), str(want), _shape_mistake(y.shape, want)):
        return False
    return untouched and expect(close(y.value, expected), what, fmt(y.value), fmt(expected),
                                diagnose(y.value, wrong))


def test_w_2_and_b_1_on_x_1_to_4_give_3_5_7_9(predict):
    w, b = torch.tensor(TUTORIAL_W), torch.tensor(TUTORIAL_B)
    _check(predict, TUTORIAL_X, w, b, "predict(x = [[1], [2], [3], [4]], w = 2.0, b = 1.0)",
           TUTORIAL_EXPECTED, _wrong(TUTORIAL_X, w, b))


def test_keeps_the_shape_of_x_for_any_shape(predict):
    for (x, w, b), expected in zip(CASES, EXPECTED):
        what = f"predict(x of shape {tuple(x.shape)}, w = {fmt(values(w), 4)}, b = {fmt(values(b), 4)})"
        if not _check(predict, x, w, b, what, expected, _wrong(x, w, b)):
            return  # one failing input is enough to read


def test_is_differentiable_in_w_and_b(predict):
    w = torch.tensor(GRAD_W, requires_grad=True)
    b = torch.tensor(GRAD_B, requires_grad=True)
    what = "predict(x, w, b) with w and b tensors that require grad"
    result = call(predict, GRAD_X.clone(), w, b, describe=what)
    y = expect_tensor(result, what)
    if y is None:
        return
    if not expect(
        y.requires_grad, f"({what}).requires_grad", "False", "True",
        Mistake("cut-from-graph",
        "w and b were cut out of the graph: .item(), float(), .detach() or torch.tensor(...) turned "
        "them into plain numbers. Use w and b as the tensors they are."),
    ):
        return
    result.sum().backward()
    what = f"y = {what}; y.sum().backward(); [w.grad, b.grad]"
    grads = [values(g) if g is not None else None for g in (w.grad, b.grad)]
    expect(close(grads, EXPECTED_GRADS), what, fmt(grads), f"{fmt(EXPECTED_GRADS)} (sum(x) and the number of elements)",
           Mistake("cut-from-graph",
           "a None means that parameter was cut out of the graph (.item(), float() or "
           ".detach() on it): use w and b as the tensors they are.") if None in grads else None)
