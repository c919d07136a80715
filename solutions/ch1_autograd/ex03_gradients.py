"""Exercise 03: gradients of any function.

Autograd is not limited to formulas you could differentiate by hand: it follows
whatever tensor operations a function performs. Here you write a small tool that
takes any function f of a few numbers and returns its partial derivatives at a
point, all from one `backward()` call.

For f(a, b) = a * b at (2, 3): df/da = b = 3 and df/db = a = 2.

One detail to handle: if f ignores one of its inputs, autograd never reaches it and
that input's `.grad` stays `None`. Its derivative is still a number: 0.

Try your function:  python -m exercises.ch1_autograd.ex03_gradients
Check it:           python grader.py check 3
"""

from collections.abc import Callable

import torch

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex01_tracked import tracked


def gradients(f: Callable[..., torch.Tensor], *values: float) -> tuple[torch.Tensor, ...]:
    """Return the partial derivative of f at `values`, one 0-dim tensor per value.

    `f` takes as many 0-dim tensors as there are values and returns a 0-dim tensor.
    Make one tracked tensor per value, call f on them, call `backward()` on the
    result and collect the gradients in the order of `values`. A value that f
    ignores has derivative 0 (its `.grad` is None).

    Example: gradients(lambda a, b: a * b, 2.0, 3.0) -> (tensor(3.), tensor(2.))

    Read: torch.Tensor.backward, "Autograd mechanics" in the PyTorch docs.
    """
    inputs = [tracked(v) for v in values]
    f(*inputs).backward()
    return tuple(t.grad if t.grad is not None else torch.zeros_like(t) for t in inputs)


if __name__ == "__main__":
    try:
        grads = gradients(lambda a, b: a**2 + b**2, 2.0, 3.0)
        print(f"f(a, b) = a**2 + b**2 at (2, 3): gradients = {[g.item() for g in grads]} (expected [4.0, 6.0])")
        grads = gradients(lambda a, b, c: a * b + torch.sin(c), 2.0, 3.0, 0.0)
        print(f"f(a, b, c) = a*b + sin(c) at (2, 3, 0): gradients = {[g.item() for g in grads]} (expected [3.0, 2.0, 1.0])")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 3` says what is wrong.")
