"""Exercise 07: one step of gradient descent.

The gradient of the loss points uphill, so each parameter takes a small step the
other way:

    p <- p - lr * p.grad        (lr, the learning rate, sets the step size)

Two details make this work in PyTorch:
- The update must not be recorded by autograd: it is not part of the model. Do it
  inside `with torch.no_grad():`.
- The update must change the parameter in place (`p -= ...` or `p.sub_(...)`), so the
  tensor stays the same leaf that the model uses. `p = p - ...` only makes a new
  tensor and points a local name at it; the real parameter never changes.

Try your function:  python -m exercises.ch1_autograd.ex07_sgd_step
Check it:           python grader.py check 7
"""

from collections.abc import Iterable

import torch


def sgd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    """Update every parameter in place: p <- p - lr * p.grad, without autograd recording it.

    Skip parameters whose `.grad` is None, and leave every `.grad` as it is
    (clearing it is exercise 08's job). Return nothing.

    Example: p = tensor(1., requires_grad=True) with p.grad = tensor(2.);
             sgd_step([p], 0.1) -> p is now tensor(0.8000, requires_grad=True)

    Read: torch.no_grad, in-place operations such as torch.Tensor.sub_.
    """
    # EXERCISE 07 (sgd_step): write your code here.
    raise NotImplementedError("Exercise 07 (sgd_step) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    p = torch.tensor(1.0, requires_grad=True)
    (p * 2).backward()
    try:
        sgd_step([p], 0.1)
        print(f"p = 1.0 with p.grad = 2.0, after sgd_step(lr=0.1): p = {p.item():.4f} (expected 0.8000)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 7` says what is wrong.")
