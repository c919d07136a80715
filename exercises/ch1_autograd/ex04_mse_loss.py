"""Exercise 04: the mean squared error.

To learn, a model needs one number that says how wrong it is: the loss. Linear
regression uses the mean squared error (MSE): subtract the targets from the
predictions, square every difference, and average them all.

    loss = mean((y_pred - y) ** 2)

Squaring makes every error positive and punishes large errors most; averaging
makes the loss independent of how many examples there are.

Watch the shapes. PyTorch *broadcasts*: a (4, 1) tensor minus a (4,) tensor does not
fail, it quietly becomes a (4, 4) grid of every difference, and the loss is wrong.
Your function refuses mismatched shapes instead.

Try your function:  python -m exercises.ch1_autograd.ex04_mse_loss
Check it:           python grader.py check 4
"""

import torch


def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Return the mean of (y_pred - y) ** 2 over all elements, as a 0-dim tensor.

    Write it with tensor operations so that autograd can differentiate it (no
    `.item()`, and not torch's own MSE: writing it is the exercise). If the two
    shapes differ, raise ValueError with both shapes in the message.

    Example: mse_loss(torch.tensor([[1.], [2.]]), torch.tensor([[1.], [4.]])) -> tensor(2.)

    Read: torch.Tensor.mean, "Broadcasting semantics" in the PyTorch docs.
    """
    # EXERCISE 04 (mse_loss): write your code here.
    raise NotImplementedError("Exercise 04 (mse_loss) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    y = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
    try:
        loss = mse_loss(torch.zeros(4, 1), y)
        print(f"mse_loss(zeros, y) on the tutorial's y = {loss.item()} (expected 30.0)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 4` says what is wrong.")
