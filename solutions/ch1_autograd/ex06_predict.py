"""Exercise 06: the model, a line.

The model turns inputs into predictions: y_pred = w * x + b. With x holding one
example per row (shape (N, 1)) and w, b being 0-dim tensors, PyTorch applies w and b
to every element, so the prediction has the same shape as x.

Because w and b require gradients, autograd records this computation too. That
record is what later lets `backward()` trace the loss back to w and b.

Try your function:  python -m exercises.ch1_autograd.ex06_predict
Check it:           python grader.py check 6
"""

import torch


def predict(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Return w * x + b, a tensor with the same shape as x.

    Keep it differentiable: use w and b as tensors (no `.item()`, no new tensors).

    Example: predict(torch.tensor([[1.], [2.]]), tensor(2.), tensor(1.)) -> tensor([[3.], [5.]])

    Read: "Broadcasting semantics" in the PyTorch docs, torch.mul.
    """
    return w * x + b


if __name__ == "__main__":
    x = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
    try:
        y_pred = predict(x, torch.tensor(2.0), torch.tensor(1.0))
        print(f"predict(x, w=2, b=1) on x = [1, 2, 3, 4] -> {y_pred.flatten().tolist()} (expected [3.0, 5.0, 7.0, 9.0])")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 6` says what is wrong.")
