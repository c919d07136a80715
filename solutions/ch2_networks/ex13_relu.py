"""Exercise 13: the nonlinearity.

Put one linear layer after another and you get... one linear layer. An affine function
of an affine function is affine:

    (x @ A.T + a) @ B.T + b  =  x @ (B @ A).T + (a @ B.T + b)

However many layers are stacked, such a model can only separate classes with a straight
line (a plane, in more dimensions). A nonlinear function between the layers breaks this,
and the simplest one that works well is the rectified linear unit:

    relu(x) = max(x, 0)      element by element: negatives become 0, the rest pass unchanged

Autograd differentiates it like any other tensor operation: the gradient is 1 where
x > 0 and 0 where x < 0.

Make a new tensor and leave x as it was: whoever called relu may still need x, and so
may autograd, for the backward pass.

Try your function:  python -m exercises.ch2_networks.ex13_relu
Check it:           python grader.py check 13
"""

import torch


def relu(x: torch.Tensor) -> torch.Tensor:
    """Return max(x, 0) element by element: a new tensor of x's shape and dtype, differentiable, with x unchanged.

    Example: relu(torch.tensor([-2.0, 0.5, 3.0])) -> tensor([0.0000, 0.5000, 3.0000])

    Read: torch.where, torch.clamp.
    """
    return torch.where(x > 0, x, 0.0)


if __name__ == "__main__":
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    try:
        y = relu(x)
        print(f"relu({x.tolist()}) = {y.tolist()}  (expected [0.0, 0.0, 0.0, 0.5, 3.0])")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 13` says what is wrong.")
