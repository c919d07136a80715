"""Exercise 05: the parameters of a line.

Linear regression fits a line, y = w * x + b, to data. The slope w and the
intercept b are the model's *parameters*: the numbers training will change.

For autograd to compute how the loss depends on them, each parameter is a leaf
tensor with `requires_grad=True`, exactly what `tracked()` builds. Training in this
chapter starts from w = 0 and b = 0.

Try your function:  python -m exercises.ch1_autograd.ex05_init_params
Check it:           python grader.py check 5
"""

import torch

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex01_tracked import tracked


def init_params() -> tuple[torch.Tensor, torch.Tensor]:
    """Return (w, b): two separate 0-dim leaf tensors equal to 0.0 with requires_grad=True.

    Example: init_params() -> (tensor(0., requires_grad=True), tensor(0., requires_grad=True))

    Read: torch.tensor, "Autograd mechanics" in the PyTorch docs.
    """
    return tracked(0.0), tracked(0.0)


if __name__ == "__main__":
    try:
        w, b = init_params()
        print(f"w = {w!r}, b = {b!r}")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 5` says what is wrong.")
