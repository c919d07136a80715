"""Exercise 26: max_pool2d(x, k) equals F.max_pool2d(x, k): non-overlapping windows, leftover rows and columns
dropped, the gradient to one maximum per window."""

import torch
import torch.nn.functional as F
from support import Mistake, call, close, expect, facts, values
from vision_support import randn, tensor_result

CASES = [((2, 3, 8, 8), 2, 260), ((1, 2, 7, 5), 3, 261), ((2, 1, 6, 9), 2, 262)]


def _wrong(x: torch.Tensor, k: int) -> list[tuple[torch.Tensor, str]]:
    n, c, h, w = x.shape
    mixed = x[:, :, : h // k * k, : w // k * k].reshape(n, c, h // k, w // k, k, k).amax(dim=(4, 5))
    return [
        (F.max_pool2d(x, k, stride=1), Mistake("overlapping-windows", "the window moved one pixel at a time: max "
                                                                      "pooling's windows do not overlap, the stride is "
                                                                      "the kernel size.")),
        (F.avg_pool2d(x, k), Mistake("average-pooling", "each window's mean was taken: max pooling keeps the largest "
                                                        "value (amax, not mean).")),
        (-F.max_pool2d(-x, k), Mistake("min-pooling", "each window's smallest value was taken: max pooling keeps the "
                                                      "largest.")),
        (mixed, Mistake("mixed-windows", "the windows mix pixels of different rows: reshape to (N, C, H // k, k, W // "
                                         "k, k), so that dimensions 3 and 5 run over one block, and take amax over (3, "
                                         "5).")),
        (F.max_pool2d(x, k, ceil_mode=True), Mistake("leftover-kept", "leftover rows and columns that do not fill a "
                                                                      "window must be dropped: cut x to H // k * k "
                                                                      "rows and W // k * k columns first.")),
    ]


def test_values_match_f_max_pool2d(max_pool2d):
    for shape, k, seed in CASES:
        x = randn(*shape, seed=seed)
        what = f"max_pool2d(x of shape {shape}, {k})"
        if not tensor_result(call(max_pool2d, x.clone(), k, describe=what), F.max_pool2d(x, k), what, _wrong(x, k)):
            return


def test_gradient_goes_to_the_maximum_of_each_window(max_pool2d):
    x = randn(1, 2, 6, 6, seed=263)
    what = "the gradient of max_pool2d(x, 2).sum() for x of shape (1, 2, 6, 6)"
    mine = x.clone().requires_grad_()
    out = call(max_pool2d, mine, 2, describe=what)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (1, 2, 3, 3):
        return  # the values test says what is wrong
    if not expect(out.requires_grad, what, "an output that autograd does not track", "a 1 at each window's maximum",
                  Mistake("outside-autograd", "the output was rebuilt outside autograd: build it from tensor "
                                              "operations on x.")):
        return
    theirs = x.clone().requires_grad_()
    F.max_pool2d(theirs, 2).sum().backward()
    out.sum().backward()
    expect(mine.grad is not None and close(values(mine.grad), values(theirs.grad)), what,
           "None" if mine.grad is None else str(facts(mine.grad)), "a 1 at each window's maximum, 0 elsewhere", None)


def test_input_is_left_unchanged(max_pool2d):
    x = randn(1, 1, 4, 4, seed=264)
    before = values(x)
    call(max_pool2d, x, 2, describe="max_pool2d(x of shape (1, 1, 4, 4), 2)")
    expect(values(x) == before, "x after max_pool2d(x, 2)", "changed", "unchanged",
           Mistake("input-changed", "max_pool2d changed its input: build a new tensor, without in-place operations on "
                                    "x."))
