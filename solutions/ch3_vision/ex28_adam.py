"""Exercise 28: Adam, an optimizer that adapts its steps.

Plain gradient descent (chapter 2's SGD) moves every parameter by lr times its gradient:
a parameter with tiny gradients hardly moves, one with huge gradients overshoots. Adam
keeps two running averages per parameter, its *state*:

    m <- beta1 * m + (1 - beta1) * grad          the mean gradient: which way, smoothed
    v <- beta2 * v + (1 - beta2) * grad ** 2     the mean squared gradient: how large

and moves by lr * m / sqrt(v): about lr per step whatever the gradient's scale, in the
direction the recent gradients agree on.

Both averages start at zero, so in the first steps they are too small: after one step
m is only (1 - beta1) * grad, a tenth of the gradient. Bias correction divides that
out: with t the number of steps this parameter has taken,

    m_hat = m / (1 - beta1 ** t)      v_hat = v / (1 - beta2 ** t)
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)

Without it the first steps are wrong by a factor that only fades over thousands of steps
(3.16 times too long after one step with the default betas). eps, outside the square
root, only keeps the division finite when v_hat is 0.

Each parameter counts its own steps, from the first time it has a gradient; a parameter
whose .grad is None is skipped and its state left alone. As with chapter 2's SGD, params
may be a generator that can be read only once, and an empty list is an error.

Try your class:  python -m exercises.ch3_vision.ex28_adam
Check it:        python grader.py check 28
"""

from collections.abc import Iterable

import torch


class Adam:
    """Adam without weight decay: per-parameter moments with bias correction, like torch.optim.Adam.

    Example: optimizer = Adam(model.parameters(), lr=1e-2); loss.backward(); optimizer.step();
             optimizer.zero_grad(). With a constant gradient every step moves a parameter by lr.

    Read: torch.optim.Adam (its algorithm box), Kingma and Ba, "Adam: A Method for Stochastic Optimization".
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        """Keep the parameters (read once into a list; ValueError if none), lr, betas, eps and an empty state."""
        self.params = list(params)
        if not self.params:
            raise ValueError("Adam was given no parameters: there is nothing to optimise")
        self.lr, self.betas, self.eps = lr, betas, eps
        self.state: dict[int, dict] = {}  # by position in self.params: steps taken, m and v

    def step(self) -> None:
        """One Adam update, in place and unrecorded, of every parameter whose .grad is not None."""
        beta1, beta2 = self.betas
        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                state = self.state.setdefault(i, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                state["t"] += 1
                state["m"] = beta1 * state["m"] + (1 - beta1) * p.grad
                state["v"] = beta2 * state["v"] + (1 - beta2) * p.grad**2
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)

    def zero_grad(self) -> None:
        """Clear every gradient, so that the next backward() starts fresh."""
        for p in self.params:
            p.grad = None


if __name__ == "__main__":
    p = torch.tensor(1.0, requires_grad=True)
    try:
        optimizer = Adam([p], lr=0.1)
        for _ in range(3):
            (5 * p).backward()  # a constant gradient of 5
            optimizer.step()
            optimizer.zero_grad()
        print(f"p = 1.0, three steps with gradient 5 and lr 0.1: p = {p.item():.4f}  (expected 0.7000: lr per step)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 28` says what is wrong.")
