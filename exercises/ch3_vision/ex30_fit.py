"""Exercise 30: training that knows when to stop.

Trained long enough, a network starts to learn its training images by heart: the
training loss keeps falling while the loss on the validation images, which it never
learns from, stops falling and rises. The epoch where the validation loss was lowest
holds the weights that work best on digits the network has not seen. Early stopping
keeps those weights, and stops when they have not improved for `patience` epochs:

    for each epoch:
        one training pass:   model.train(); per batch zero_grad, forward, loss, backward, step
        one validation pass: model.eval(); under torch.no_grad(), the loss and accuracy
        if the validation loss is below the best so far: remember this epoch and its weights
        else if `patience` epochs in a row have not improved: stop
    load the best weights back into the model

Each pass reports its mean loss over samples, as chapter 2's train_epoch and evaluate
did: each batch's loss times its size, added up, divided by the number of samples.

The validation pass must change nothing: eval mode, no gradient, no step. Validation
data that trains the model, even a little, is no longer a test of it.

Keeping the best weights needs a copy. model.state_dict() returns the model's own
tensors, not copies of them: every later step changes what a saved state_dict holds, and
"the best" silently becomes the last. copy.deepcopy(model.state_dict()) (or each tensor
.clone()d) keeps the numbers as they were.

Try your function:  python -m exercises.ch3_vision.ex30_fit
Check it:           python grader.py check 30
"""

import copy
import math
from collections.abc import Callable

import torch
from torch import nn
from torch.utils.data import DataLoader


def fit(model: nn.Module, train_loader: DataLoader, val_loader: DataLoader, loss_fn: Callable, optimizer,
        epochs: int, patience: int) -> dict:
    """Train with early stopping; return {"train_loss", "val_loss", "val_accuracy", "best_epoch"}.

    At most `epochs` epochs of one training pass and one validation pass; an epoch improves
    when its validation loss is strictly below the best so far; training stops after
    `patience` epochs in a row without improvement; the best epoch's weights (a copy of its
    state_dict) are loaded back before returning. Lists of floats, one per epoch run;
    best_epoch counts from 0.

    Example: with validation losses 0.9, 0.5, 0.6, 0.7 and patience 2, training stops after
             the fourth epoch, best_epoch is 1 and the model holds the weights of epoch 1.

    Read: torch.nn.Module.state_dict, torch.nn.Module.load_state_dict, copy.deepcopy, torch.no_grad.
    """
    # EXERCISE 30 (fit): write your code here.
    raise NotImplementedError("Exercise 30 (fit) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    from torch.utils.data import TensorDataset

    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200, 4, generator=gen)
    y = (x[:, 0] + x[:, 1] > 0).long()
    train = DataLoader(TensorDataset(x[:150], y[:150]), batch_size=50)
    val = DataLoader(TensorDataset(x[150:], y[150:]), batch_size=50)
    torch.manual_seed(0)
    model = nn.Linear(4, 2)
    try:
        history = fit(model, train, val, nn.functional.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.5),
                      epochs=20, patience=3)
        for epoch, (t, v, a) in enumerate(zip(history["train_loss"], history["val_loss"], history["val_accuracy"])):
            print(f"epoch {epoch:2d}  train loss {t:.4f}  validation loss {v:.4f}  accuracy {a:.0%}")
        print(f"best epoch {history['best_epoch']}: the model now holds its weights")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 30` says what is wrong.")
