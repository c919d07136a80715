"""Exercise 25: a convolutional layer.

Your conv2d (exercise 24) as a module, as chapter 2's Linear wrapped x @ weight.T + bias:
the layer owns a weight of shape (out_channels, in_channels, k, k) and a bias of shape
(out_channels,), registered as nn.Parameters so that parameters(), the optimizer and
state_dict() find them, and its forward calls conv2d with its own stride and padding.

Where the first numbers come from matters. Each output adds up in_channels * k * k
products, so the larger that count, the smaller each weight must start for the sum to
stay of a sensible size: nn.Conv2d draws weight and bias uniformly from
±1/sqrt(in_channels * k * k). Drawn in the same order (weight first, then bias) from the
same generator, your layer starts exactly where nn.Conv2d would, and the names "weight"
and "bias" let an nn.Conv2d's state_dict load into it.

Try your class:  python -m exercises.ch3_vision.ex25_conv_layer
Check it:        python grader.py check 25
"""

import math

import torch
from torch import nn

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex24_conv2d import conv2d


class Conv2d(nn.Module):
    """A 2-D convolution layer with learned weight (out, in, k, k) and bias (out,), built on your conv2d.

    Example: Conv2d(1, 16, 3, padding=1) maps a batch (N, 1, 8, 8) to (N, 16, 8, 8) and
             holds 16 * 1 * 3 * 3 + 16 = 160 parameters.

    Read: torch.nn.Conv2d, torch.nn.Parameter, torch.Tensor.uniform_.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True) -> None:
        """Keep stride and padding; draw weight, then bias (None when bias=False), from ±1/sqrt(in * k * k)."""
        # EXERCISE 25 (Conv2d): write your code here.
        raise NotImplementedError("Exercise 25 (Conv2d) is not done yet: replace this line with your code.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv2d(x, weight, bias, stride, padding)."""
        # EXERCISE 25 (Conv2d): write your code here.
        raise NotImplementedError("Exercise 25 (Conv2d) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    try:
        layer = Conv2d(1, 16, 3, padding=1)
        out = layer(torch.zeros(5, 1, 8, 8))
        print(f"parameters: {[tuple(p.shape) for p in layer.parameters()]}  (expected [(16, 1, 3, 3), (16,)])")
        print(f"a batch of 5 digits in: shape {tuple(out.shape)} out  (expected (5, 16, 8, 8))")
        print(f"largest weight {layer.weight.abs().max().item():.3f}  (expected at most 1/3 = 0.333)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 25` says what is wrong.")
