"""Exercise 01: a tensor that records its operations.

PyTorch can work out derivatives for you; the part that does it is called autograd.
Autograd only follows tensors that ask for it: create a tensor with
`requires_grad=True` and every operation applied to it is recorded in a graph.
Later, `backward()` walks that graph backwards and stores each derivative in the
`.grad` attribute of the tensor it started from.

A tensor you create yourself, rather than compute from other tensors, is a *leaf*
of the graph. Leaves are the tensors whose `.grad` autograd fills in.

    >>> w = torch.tensor(1.5, requires_grad=True)
    >>> w.is_leaf, w.requires_grad, w.shape
    (True, True, torch.Size([]))

Try your function:  python -m exercises.ch1_autograd.ex01_tracked
Check it:           python grader.py check 1
"""

import torch


def tracked(value: float) -> torch.Tensor:
    """Return a 0-dim float32 tensor holding `value` that records operations.

    The result must be a leaf of the graph (created here, not computed from another
    tensor) with `requires_grad=True`, so that autograd can later fill its `.grad`.

    Example: tracked(2.0) -> tensor(2., requires_grad=True)

    Read: torch.tensor (its `dtype` and `requires_grad` arguments).
    """
    return torch.tensor(value, dtype=torch.float32, requires_grad=True)


if __name__ == "__main__":
    try:
        t = tracked(2.0)
        print(f"tracked(2.0) = {t!r}")
        print(f"is_leaf={t.is_leaf}, requires_grad={t.requires_grad}, shape={tuple(t.shape)}, dtype={t.dtype}")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 1` says what is wrong.")
