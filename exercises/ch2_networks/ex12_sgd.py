"""Exercise 12: your own optimizer.

torch.optim.SGD does what sgd_step and zero_grad did in chapter 1, as an object: it is
given the parameters once, when it is made, and from then on `step()` updates them all
and `zero_grad()` clears their gradients. Every optimizer in torch.optim has this shape,
so yours will work in any training loop written for them.

Two details:
- `params` is usually `model.parameters()`, a generator: it can be read only once. Read
  it into a list in __init__ and keep the list; a loop over the generator itself would
  find it empty from the second step on.
- An optimizer with nothing to optimise is a mistake worth hearing about at once (a model
  whose layers were never registered has no parameters): raise ValueError.

Clearing a gradient can mean filling it with zeros (p.grad.zero_(), as in exercise 08)
or removing it (p.grad = None, which is what torch.optim does: the next backward() then
makes a new gradient, and no time goes into writing zeros). Either way the next
backward() starts fresh.

Try your class:  python -m exercises.ch2_networks.ex12_sgd
Check it:        python grader.py check 12
"""

from collections.abc import Iterable

import torch


class SGD:
    """Plain gradient descent, p <- p - lr * p.grad, for every parameter it was given.

    Example: optimizer = SGD(model.parameters(), lr=0.1); loss.backward(); optimizer.step();
             optimizer.zero_grad()

    Read: torch.optim.SGD, torch.no_grad, "How to use an optimizer" in the torch.optim docs.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        """Keep lr and the parameters, read once into a list; raise ValueError if there are none."""
        # EXERCISE 12 (SGD): write your code here.
        raise NotImplementedError("Exercise 12 (SGD) is not done yet: replace this line with your code.")

    def step(self) -> None:
        """p <- p - lr * p.grad, in place and unrecorded, for every parameter whose .grad is not None."""
        # EXERCISE 12 (SGD): write your code here.
        raise NotImplementedError("Exercise 12 (SGD) is not done yet: replace this line with your code.")

    def zero_grad(self) -> None:
        """Clear every gradient, so that the next backward() starts fresh."""
        # EXERCISE 12 (SGD): write your code here.
        raise NotImplementedError("Exercise 12 (SGD) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    p = torch.tensor(1.0, requires_grad=True)
    try:
        optimizer = SGD([p], lr=0.1)
        (p * 2).backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"p = 1.0 with gradient 2.0, after step(): p = {p.item():.4f}  (expected 0.8000)")
        print(f"after zero_grad(): p.grad = {p.grad}  (expected None, or a tensor of zeros)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 12` says what is wrong.")
