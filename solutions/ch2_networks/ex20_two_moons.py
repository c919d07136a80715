"""Exercise 20: data that no line can separate.

To see a network learn something a line cannot, it needs such data. Two interleaving
half circles, the "two moons", are the classic case:

    upper arc, class 0:   (cos t, sin t)               t from 0 to pi
    lower arc, class 1:   (1 - cos t, 0.5 - sin t)     t from 0 to pi

Each arc reaches into the other's hollow, so every straight line leaves part of one
moon on the wrong side. The points are spread evenly along each arc (torch.linspace)
and then shaken by Gaussian noise, scaled by `noise`.

The noise comes from a generator of the function's own, seeded with `seed`
(torch.randn(..., generator=generator)). The same seed gives the same data set, every
time and on every machine, and torch's global random generator is left alone: making
data should not change how a model elsewhere is initialised.

Try your function:  python -m exercises.ch2_networks.ex20_two_moons
Check it:           python grader.py check 20
"""

import math

import torch


def two_moons(n: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (points, labels): n points (float32, (n, 2)) on two arcs, with labels (int64, (n,)).

    The first n // 2 points lie on the upper arc (cos t, sin t) with label 0, the other
    n - n // 2 on the lower arc (1 - cos t, 0.5 - sin t) with label 1; on each arc t is
    evenly spaced over [0, pi], both ends included. Gaussian noise times `noise`, from a
    generator seeded with `seed`, is added to every coordinate.

    Example: two_moons(4, 0.0, seed=0) -> points [[1, 0], [-1, 0], [0, 0.5], [2, 0.5]]
             (up to rounding), labels [0, 0, 1, 1]

    Read: torch.linspace, torch.stack, torch.randn (its generator argument), torch.Generator.
    """
    generator = torch.Generator().manual_seed(seed)
    n_upper = n // 2
    t_upper = torch.linspace(0, math.pi, n_upper)
    t_lower = torch.linspace(0, math.pi, n - n_upper)
    upper = torch.stack([torch.cos(t_upper), torch.sin(t_upper)], dim=1)
    lower = torch.stack([1 - torch.cos(t_lower), 0.5 - torch.sin(t_lower)], dim=1)
    points = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=generator)
    labels = torch.cat([torch.zeros(n_upper, dtype=torch.int64), torch.ones(n - n_upper, dtype=torch.int64)])
    return points, labels


if __name__ == "__main__":
    try:
        points, labels = two_moons(200, 0.1, seed=0)
        print(f"points {tuple(points.shape)} {points.dtype}, labels {tuple(labels.shape)} {labels.dtype}")
        for label in (0, 1):
            mine = points[labels == label]
            print(f"class {label}: {len(mine)} points, x from {mine[:, 0].min():.2f} to {mine[:, 0].max():.2f},"
                  f" y from {mine[:, 1].min():.2f} to {mine[:, 1].max():.2f}")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 20` says what is wrong.")
