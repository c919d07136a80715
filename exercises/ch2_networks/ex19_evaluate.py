"""Exercise 19: evaluating a model.

To know how good a model is, run it over data it was not trained on, and change nothing
while doing so. Two switches make sure of that, and they do different things:

- `model.eval()` puts every layer in evaluation mode, the opposite of model.train():
  dropout keeps every unit, batch normalisation uses the statistics it learned instead
  of the batch's. It changes what the layers compute, not whether autograd records.
- `with torch.no_grad():` stops autograd from recording. Nothing here will call
  backward(), so a graph would only cost time and memory.

As in training, the mean loss and the accuracy are over samples: weight each batch's
values by its size. Use your accuracy from exercise 16.

Try your function:  python -m exercises.ch2_networks.ex19_evaluate
Check it:           python grader.py check 19
"""

from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex16_accuracy import accuracy


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: Callable) -> tuple[float, float]:
    """Return (mean loss, accuracy) of `model` over `loader`, both over samples, in eval mode under no_grad.

    Changes no parameter and leaves no gradient behind. Both results are Python floats.

    Example: a loader of 10 examples, 7 of them classified right -> (the mean loss, 0.7)

    Read: torch.nn.Module.eval, torch.no_grad, "Autograd mechanics: locally disabling gradient computation".
    """
    # EXERCISE 19 (evaluate): write your code here.
    raise NotImplementedError("Exercise 19 (evaluate) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))
        model.bias.zero_()
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [1.0, 3.0], [0.5, 0.0]])
    loader = DataLoader(TensorDataset(x, torch.tensor([0, 1, 1, 1, 0])), batch_size=2)
    try:
        loss, acc = evaluate(model, loader, nn.CrossEntropyLoss())
        print(f"loss {loss:.4f}, accuracy {acc}  (expected accuracy 0.8: the third point is on the wrong side)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 19` says what is wrong.")
