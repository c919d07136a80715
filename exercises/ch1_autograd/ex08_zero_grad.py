"""Exercise 08: clearing gradients.

`backward()` does not replace `.grad`, it adds to it. That is useful when a loss is
built from several parts, but in a training loop it means last step's gradient
would leak into this step's. So after every update, the gradients are set back to
zero:

    >>> w = torch.tensor(1.0, requires_grad=True)
    >>> (3 * w).backward(); (3 * w).backward()
    >>> w.grad
    tensor(6.)

Clear each gradient in place: the `.grad` tensor stays the same object and now
holds zeros.

Try your function:  python -m exercises.ch1_autograd.ex08_zero_grad
Check it:           python grader.py check 8
"""

from collections.abc import Iterable

import torch


def zero_grad(params: Iterable[torch.Tensor]) -> None:
    """Set every existing gradient to zero, in place. Return nothing.

    Parameters whose `.grad` is None have nothing to clear: leave them alone.

    Example: p.grad is tensor(6.); zero_grad([p]) -> the same p.grad now holds tensor(0.)

    Read: torch.Tensor.zero_, torch.Tensor.grad.
    """
    # EXERCISE 08 (zero_grad): write your code here.
    raise NotImplementedError("Exercise 08 (zero_grad) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    w = torch.tensor(1.0, requires_grad=True)
    (3 * w).backward()
    (3 * w).backward()
    print(f"after two backward() calls: w.grad = {w.grad.item()} (gradients add up)")
    try:
        zero_grad([w])
        print(f"after zero_grad: w.grad = {w.grad.item()} (expected 0.0)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 8` says what is wrong.")
