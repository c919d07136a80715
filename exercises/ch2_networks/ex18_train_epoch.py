"""Exercise 18: one epoch of training.

Chapter 1's loop, once per batch instead of once per epoch, for any model, loss and
optimizer:

    for x_batch, y_batch in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x_batch), y_batch)
        loss.backward()
        optimizer.step()

Two more things:
- Training mode. Some layers behave differently in training and in evaluation: dropout
  switches units off only while training, batch normalisation uses each batch's own
  statistics only while training. Every module has a flag for this, set by
  `model.train()` and `model.eval()`. The model may come straight from an evaluation
  (exercise 19), so whoever trains it says so: call model.train() first.
- The epoch's loss. Each batch's loss is a mean over that batch's examples. The epoch's
  loss is the mean over all its examples, so weight each batch's loss by the batch's
  size: a last batch of 2 examples counts for 2, not as much as a full batch of 32.

Try your function:  python -m exercises.ch2_networks.ex18_train_epoch
Check it:           python grader.py check 18
"""

from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def train_epoch(model: nn.Module, loader: DataLoader, loss_fn: Callable, optimizer) -> float:
    """Train `model` for one pass over `loader` in training mode; return the mean loss over samples.

    Per batch: optimizer.zero_grad(), forward, loss_fn, backward(), optimizer.step(). The
    result is a Python float: each batch's loss weighted by its number of examples.

    Example: batches of 4, 4 and 2 examples with losses 1.0, 1.0 and 2.5 -> (4 + 4 + 5) / 10 = 1.3

    Read: torch.nn.Module.train, torch.optim.Optimizer.zero_grad, torch.optim.Optimizer.step.
    """
    # EXERCISE 18 (train_epoch): write your code here.
    raise NotImplementedError("Exercise 18 (train_epoch) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    x = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    model = nn.Linear(1, 1)
    loader = DataLoader(TensorDataset(x, 2 * x), batch_size=3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    try:
        losses = [train_epoch(model, loader, nn.MSELoss(), optimizer) for _ in range(5)]
        print(f"five epochs on y = 2x, batches of 3 and 1: losses {[round(v, 4) for v in losses]}")
        print("(expected Python floats, falling)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 18` says what is wrong.")
