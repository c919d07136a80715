"""Exercise 24: conv2d(x, weight, bias, stride, padding) is the cross-correlation of F.conv2d: the same values and the
same gradients for x, weight and bias, and a ValueError naming both when the channels disagree."""

import torch
import torch.nn.functional as F
from support import Mistake, attempt, call, close, expect, values
from vision_support import randn, tensor_result

# (N, C_in, H, W, C_out, kH, kW, stride, padding, with bias); the odd sizes show any mix-up of rows and columns.
CASES = [(2, 3, 7, 6, 4, 3, 3, 1, 0, True), (1, 2, 8, 8, 3, 3, 3, 2, 1, True), (2, 1, 5, 7, 2, 2, 3, 1, 2, False),
         (1, 3, 9, 9, 2, 3, 3, 3, 0, True)]


def _inputs(case, seed: int):
    n, c_in, h, w, c_out, kh, kw, stride, padding, with_bias = case
    x, weight = randn(n, c_in, h, w, seed=seed), randn(c_out, c_in, kh, kw, seed=seed + 1)
    bias = randn(c_out, seed=seed + 2) if with_bias else None
    return x, weight, bias, stride, padding


def _describe(x, weight, bias, stride, padding) -> str:
    b = f"bias of shape ({len(bias)},)" if bias is not None else "bias=None"
    return (f"conv2d(x of shape {tuple(x.shape)}, weight of shape {tuple(weight.shape)}, {b}, stride={stride}, "
            f"padding={padding})")


def _wrong(x, weight, bias, stride, padding) -> list[tuple[torch.Tensor, str]]:
    """What the common mistakes give on this input, each with its explanation."""
    p = padding
    wrong = [
        (F.conv2d(x, weight.flip(2, 3), bias, stride, p),
         Mistake("flipped-kernel", "the kernel is flipped: that is the mathematician's convolution. Deep learning's "
                                   "conv2d lays the kernel on the image as it is (a cross-correlation): x[..., i + a, "
                                   "j + b] * weight[..., a, b], no flip.")),
        (F.conv2d(x, weight, bias, 1, p), Mistake("stride-ignored", "the stride was ignored: move the window `stride` "
                                                                    "pixels at a time.")),
        (F.conv2d(x, weight, bias, stride, 0), Mistake("padding-ignored", "the padding was ignored: pad x with "
                                                                          "`padding` zeros on every side.")),
        (F.conv2d(x, weight.transpose(2, 3), bias, stride, p),
         Mistake("kernel-transposed", "the kernel's rows and columns are swapped: weight[o, c, a, b] multiplies x[n, "
                                      "c, i + a, j + b], a down the rows and b along the columns.")),
    ]
    if bias is not None:
        wrong.append((F.conv2d(x, weight, None, stride, p), Mistake("no-bias", "the bias was left out: add bias[o] to "
                                                                               "every pixel of output channel o, "
                                                                               "bias.reshape(1, -1, 1, 1).")))
    if p:
        for side, pads in (("before", (2 * p, 0, 2 * p, 0)), ("after", (0, 2 * p, 0, 2 * p))):
            wrong.append((F.conv2d(F.pad(x, pads), weight, bias, stride),
                          Mistake("one-sided-padding", f"all the padding went {side} the image: "
                          f"F.pad(x, (p, p, p, p)) puts p zeros on each of the four sides.")))
    return wrong


def test_values_match_f_conv2d(conv2d):
    for seed, case in enumerate(CASES, start=240):
        args = _inputs(case, seed * 10)
        what = _describe(*args)
        got = call(conv2d, *args, describe=what)
        if not tensor_result(got, F.conv2d(*args), what, _wrong(*args)):
            return


def test_gradients_match_f_conv2d(conv2d):
    case = CASES[1]
    x, weight, bias, stride, padding = _inputs(case, 2450)
    what = f"the gradients of (out * g).sum() for out = {_describe(x, weight, bias, stride, padding)}"
    leaves = [t.clone().requires_grad_() for t in (x, weight, bias)]
    expected = torch.autograd.grad((F.conv2d(*leaves, stride, padding) * randn(1, 3, 4, 4, seed=7)).sum(), leaves)
    got = call(conv2d, *leaves, stride, padding, describe=what)
    if not isinstance(got, torch.Tensor) or not got.requires_grad:
        expect(False, what, "an output that autograd does not track", "gradients for x, weight and bias",
               Mistake("outside-autograd", "the output was rebuilt outside autograd (.item(), .tolist(), "
                                           "torch.tensor(...) or .detach() on the way): build it from tensor "
                                           "operations on x and weight only."))
        return
    if tuple(got.shape) != (1, 3, 4, 4):
        return  # the values test says what is wrong
    grads = torch.autograd.grad((got * randn(1, 3, 4, 4, seed=7)).sum(), leaves, allow_unused=True)
    for name, g, e in zip(("x", "weight", "bias"), grads, expected):
        expect(g is not None and close(values(g), values(e), 1e-4), f"the gradient for {name}, {what}",
               "None (the output does not depend on it)" if g is None else "different numbers",
               "the gradient of F.conv2d",
               None if g is not None else Mistake("gradient-not-reached",
                                                  f"{name} does not reach the output through autograd."))


def test_channels_that_disagree_raise_value_error(conv2d):
    x, weight = randn(1, 3, 5, 5, seed=1), randn(2, 4, 3, 3, seed=2)
    what = "conv2d(x of shape (1, 3, 5, 5), weight of shape (2, 4, 3, 3)): 3 channels in x, 4 in the kernels"
    _, exc = attempt(conv2d, x, weight, describe=what)
    expect(isinstance(exc, ValueError), what, "no error" if exc is None else f"{type(exc).__name__}: {exc}",
           "ValueError naming both", Mistake("no-channel-check", "check x.shape[1] against weight.shape[1] first and "
                                                                 "raise ValueError naming both."))
    if isinstance(exc, ValueError):
        text = str(exc)
        expect("3" in text and "4" in text, f"the message of the ValueError from {what}", repr(text),
               "a message that names both channel counts (3 and 4) or both shapes",
               Mistake("error-without-shapes", "say what came in: for example f\"x has {x.shape[1]} channels but "
                                               "weight expects {weight.shape[1]}\"."))
