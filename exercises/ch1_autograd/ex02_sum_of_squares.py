"""Exercise 02: your first backward().

Once tensors record their operations, one call computes every derivative at once.
Build a result from tracked tensors, make sure it is a single number (a 0-dim
tensor), and call `backward()` on it. Autograd then fills `.grad` of each leaf with
the partial derivative of the result with respect to that leaf.

For c = a**2 + b**2 the derivatives are dc/da = 2a and dc/db = 2b, so at a = 2 and
b = 3 autograd should find 4 and 6:

    >>> a = torch.tensor(2.0, requires_grad=True)
    >>> (a ** 2).backward()
    >>> a.grad
    tensor(4.)

Try your function:  python -m exercises.ch1_autograd.ex02_sum_of_squares
Check it:           python grader.py check 2
"""

import torch

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex01_tracked import tracked


def sum_of_squares_grads(a: float, b: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Build c = a**2 + b**2 with autograd and return (dc/da, dc/db).

    Use `tracked()` from exercise 01 for a and b, compute c from them, call
    `c.backward()` and return the two gradients as 0-dim tensors, a's first.

    Example: sum_of_squares_grads(2.0, 3.0) -> (tensor(4.), tensor(6.))

    Read: torch.Tensor.backward, torch.Tensor.grad.
    """
    # EXERCISE 02 (sum_of_squares_grads): write your code here.
    raise NotImplementedError("Exercise 02 (sum_of_squares_grads) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    try:
        da, db = sum_of_squares_grads(2.0, 3.0)
        print(f"c = a**2 + b**2 at a = 2, b = 3: dc/da = {da.item()}, dc/db = {db.item()} (expected 4.0 and 6.0)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 2` says what is wrong.")
