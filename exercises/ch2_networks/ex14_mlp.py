"""Exercise 14: a multilayer perceptron.

A multilayer perceptron (MLP) is linear layers with a relu between each two of them:

    MLP([2, 16, 16, 2]):  x (N, 2) -> Linear(2, 16) -> relu -> Linear(16, 16) -> relu -> Linear(16, 2) -> (N, 2)

The relus between the layers are what make the whole more than one affine function
(exercise 13). There is none after the last layer: its outputs are *logits*, one score
per class that may be any real number, negative too; the loss (exercise 15) turns them
into probabilities.

A module registers its parts as it registers parameters: a module assigned to an
attribute becomes a submodule, and `parameters()` yields the parameters of every
submodule too. A plain Python list is not a module, so layers kept in one are hidden:
parameters() does not yield them, an optimizer never trains them, state_dict() never
saves them. nn.ModuleList is a list that registers what it holds (nn.Sequential is one
that also calls its layers in order).

Use your Linear from exercise 11 (or nn.Linear: the two agree) and your relu from
exercise 13.

Try your class:  python -m exercises.ch2_networks.ex14_mlp
Check it:        python grader.py check 14
"""

from collections.abc import Sequence

import torch
from torch import nn

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex11_linear import Linear
from .ex13_relu import relu


class MLP(nn.Module):
    """Linear layers sizes[0] -> sizes[1] -> ... -> sizes[-1], with relu between them and none after the last.

    Example: MLP([2, 16, 16, 2]) holds three layers (six parameters) and maps a batch of
             shape (N, 2) to logits of shape (N, 2).

    Read: torch.nn.ModuleList, torch.nn.Module.parameters, "Build the Neural Network" in the PyTorch tutorials.
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        """One Linear(sizes[i], sizes[i + 1]) for each pair of neighbouring sizes, registered in an nn.ModuleList."""
        # EXERCISE 14 (MLP): write your code here.
        raise NotImplementedError("Exercise 14 (MLP) is not done yet: replace this line with your code.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layers in order, with relu after every layer but the last; return the logits."""
        # EXERCISE 14 (MLP): write your code here.
        raise NotImplementedError("Exercise 14 (MLP) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    try:
        model = MLP([2, 16, 16, 2])
        logits = model(torch.zeros(5, 2))
        print(f"MLP([2, 16, 16, 2]) parameters: {[tuple(p.shape) for p in model.parameters()]}")
        print("  (expected [(16, 2), (16,), (16, 16), (16,), (2, 16), (2,)])")
        print(f"logits for a batch of 5: shape {tuple(logits.shape)}  (expected (5, 2))")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 14` says what is wrong.")
