"""Exercise 11: your own linear layer.

nn.Linear computes x @ weight.T + bias for a whole batch at once: each of the N rows of
x, shape (N, in_features), becomes a row of the output, shape (N, out_features). Here
you write it yourself, as a subclass of nn.Module, the base class of every layer and
model in PyTorch.

A module keeps track of its parameters, but only of those it is given the right way.
Assigning an nn.Parameter to an attribute (`self.weight = nn.Parameter(...)`) registers
it: it then appears in `parameters()`, which is what an optimizer is given, and in
`state_dict()`, which is what is saved and loaded. A plain tensor, even one with
requires_grad=True, is only an attribute: no optimizer would ever see it. Registering
needs nn.Module's own set-up to have run, so `super().__init__()` comes first.

The shapes are nn.Linear's, so that an nn.Linear's state_dict loads into your layer:
weight is (out_features, in_features) and bias is (out_features,). Both start as random
numbers drawn uniformly from [-1/sqrt(in_features), 1/sqrt(in_features)], as nn.Linear
does. Random, because units that start equal compute the same thing and get the same
gradient, so they would stay equal forever (with all zeros, training a deeper network
goes nowhere); small, so that the outputs stay about as large as the inputs.

    >>> layer = Linear(3, 2)
    >>> [(name, tuple(p.shape)) for name, p in layer.named_parameters()]
    [('weight', (2, 3)), ('bias', (2,))]

Try your class:  python -m exercises.ch2_networks.ex11_linear
Check it:        python grader.py check 11
"""

import math

import torch
from torch import nn


class Linear(nn.Module):
    """A fully connected layer: x of shape (N, in_features) -> x @ weight.T + bias, shape (N, out_features).

    Example: Linear(3, 2) has a weight of shape (2, 3) and a bias of shape (2,), both
             nn.Parameters; Linear(3, 2, bias=False).bias is None.

    Read: torch.nn.Module, torch.nn.Parameter, torch.Tensor.uniform_, torch.nn.Linear (its Variables).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        """Register weight (out, in) and bias (out,) drawn from U(-k, k), k = 1/sqrt(in); bias None if not wanted."""
        # EXERCISE 11 (Linear): write your code here.
        raise NotImplementedError("Exercise 11 (Linear) is not done yet: replace this line with your code.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return x @ weight.T + bias (without the bias when there is none)."""
        # EXERCISE 11 (Linear): write your code here.
        raise NotImplementedError("Exercise 11 (Linear) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    try:
        layer = Linear(3, 2)
        out = layer(torch.ones(4, 3))
        print(f"parameters: {[(name, tuple(p.shape)) for name, p in layer.named_parameters()]}"
              "  (expected weight (2, 3) and bias (2,))")
        print(f"Linear(3, 2) on a batch of shape (4, 3) gives shape {tuple(out.shape)}  (expected (4, 2))")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 11` says what is wrong.")
