"""Exercise 20: two_moons(n, noise, seed) puts n points on two interleaving arcs, with seeded Gaussian noise and labels 0 and 1."""

import math

import torch
from nn_support import arcs
from support import Mistake, call, close, diagnose, expect, expect_tensor, expect_tuple, fmt, is_tensor, show, values

ARCS_SWAPPED = Mistake("arcs-swapped", "the two arcs come in swapped order: the first n // 2 points lie on the "
                       "upper arc (cos t, sin t), class 0, and the rest on the lower arc (1 - cos t, 0.5 - sin t), "
                       "class 1.")


def _read(result: object, what: str):
    """(points, labels) as facts, or None after a failed check."""
    items = expect_tuple(result, 2, what, "(points, labels)")
    if items is None:
        return None
    points, labels = expect_tensor(items[0], f"the points from {what}"), expect_tensor(items[1], f"the labels from {what}")
    return None if points is None or labels is None else (points, labels)


def _arcs(n: int, upper, lower, span: float = math.pi, endpoint: bool = True, swapped: bool = False) -> list:
    """Points on two arcs given as functions of t, t evenly spaced from 0 (to span, or short of it); the
    lower arc's points first if swapped."""
    def t(m: int) -> torch.Tensor:
        return torch.linspace(0, span, m) if endpoint else torch.linspace(0, span, m + 1)[:-1]

    m = n // 2
    first, second = (lower, upper) if swapped else (upper, lower)
    return torch.cat([torch.stack(first(t(m)), dim=1), torch.stack(second(t(n - m)), dim=1)]).tolist()


def _upper(t):
    return [torch.cos(t), torch.sin(t)]


def _lower(t):
    return [1 - torch.cos(t), 0.5 - torch.sin(t)]


def _arc_mistake(got: list, n: int) -> str | None:
    return diagnose(got, [
        (_arcs(n, _upper, _lower, span=2 * math.pi), Mistake("full-circle",
                                                     "t runs over [0, 2 pi], so each arc is a whole circle: "
                                                     "t goes from 0 to pi, torch.linspace(0, math.pi, m).")),
        (_arcs(n, _upper, _lower, endpoint=False), Mistake("t-short",
                                                   "t stops short of pi: torch.linspace(0, math.pi, m) includes "
                                                   "both ends, as the arcs do.")),
        (_arcs(n, _upper, lambda t: [1 - torch.cos(t), -torch.sin(t)]),
         Mistake("lower-arc-low",
         "the lower arc is (1 - cos t, -sin t), half a unit too low: it is (1 - cos t, 0.5 - sin t).")),
        (_arcs(n, _upper, lambda t: [1 - torch.cos(t), 0.5 + torch.sin(t)]),
         Mistake("lower-arc-flipped",
         "the lower arc bends upwards, (1 - cos t, 0.5 + sin t): it is (1 - cos t, 0.5 - sin t), a hollow that "
         "faces the upper arc.")),
        (_arcs(n, _upper, lambda t: [1 + torch.cos(t), 0.5 - torch.sin(t)]),
         Mistake("lower-arc-reversed",
         "the lower arc runs the other way, (1 + cos t, ...): it is (1 - cos t, 0.5 - sin t).")),
        (_arcs(n, lambda t: [torch.sin(t), torch.cos(t)], _lower),
         Mistake("upper-arc-swapped", "the upper arc's coordinates are swapped: it is (cos t, sin t).")),
        (_arcs(n, _upper, _lower, swapped=True), ARCS_SWAPPED),
    ])


def test_points_and_labels_have_the_right_shapes_and_dtypes(two_moons):
    for n in (10, 7):
        what = f"two_moons({n}, 0.1, seed=0)"
        read = _read(call(two_moons, n, 0.1, 0, describe=what), what)
        if read is None:
            return
        points, labels = read
        m = n // 2
        ok = expect(points.shape == (n, 2) and points.dtype == "float32", f"the points from {what}",
                    f"shape {points.shape}, {points.dtype}", f"shape ({n}, 2), float32",
                    Mistake("odd-n",
                    f"n // 2 points on each arc make {2 * m}, one too few for an odd n: the lower arc takes "
                    "the rest, n - n // 2.") if points.shape == (2 * m, 2) and n % 2 else None)
        ok = expect(labels.dtype == "int64", f"the labels from {what}", labels.dtype, "int64",
                    Mistake("wrong-label-dtype",
                    "class labels are int64 class indices, as cross_entropy expects: dtype=torch.int64.")) and ok
        expected = [0] * m + [1] * (n - m)
        if ok and not close([float(v) for v in labels.value], [float(v) for v in expected]):
            swapped = labels.value == [1 - v for v in expected]
            ok = expect(False, f"the labels from {what}", str(labels.value), str(expected),
                        Mistake("swapped-labels",
                        "the labels are swapped: the upper arc (the first n // 2 points) is class 0, the lower "
                        "arc class 1.") if swapped else None)
        if not ok:
            return


def test_without_noise_the_points_lie_evenly_on_the_arcs(two_moons):
    n = 8
    what = f"two_moons({n}, 0.0, seed=0)"
    read = _read(call(two_moons, n, 0.0, 0, describe=what), what)
    if read is None or read[0].shape != (n, 2):
        return
    expected = values(arcs(n)[0])
    got = read[0].value
    expect(close(got, expected), what, fmt(got), f"{fmt(expected)}: (cos t, sin t), then (1 - cos t, 0.5 - sin t), "
                                                 "t = 0, pi/3, 2pi/3, pi on each arc", _arc_mistake(got, n))


def test_noise_is_gaussian_times_noise(two_moons):
    n, noise = 400, 0.1
    what = f"two_moons({n}, {noise}, seed=1)"
    read = _read(call(two_moons, n, noise, 1, describe=what), what)
    if read is None or read[0].shape != (n, 2):
        return
    residuals = [g - e for row, ref in zip(read[0].value, values(arcs(n)[0])) for g, e in zip(row, ref)]
    mean = sum(residuals) / len(residuals)
    std = math.sqrt(sum((r - mean) ** 2 for r in residuals) / len(residuals))
    inside = sum(abs(r) < noise for r in residuals) / len(residuals)
    gaussian = abs(mean) < 0.02 and close(std, noise, 0.15) and 0.62 < inside < 0.75
    mistake = None
    # Each mistake only from the residuals' own shape: points off the arcs give large ones of both signs.
    if min(residuals) > -1e-6:
        mistake = Mistake("uniform-noise",
                  "the noise is uniform, from torch.rand (between 0 and 1, all positive): Gaussian noise comes "
                  "from torch.randn.")
    elif abs(mean) < 0.1 and abs(std - 1.0) < 0.15:
        mistake = Mistake("unscaled-noise",
                  "the noise is torch.randn's as it comes, standard deviation 1: multiply it by noise.")
    elif abs(mean) < 0.01 and abs(std - noise**2) < 0.15 * noise**2:
        mistake = Mistake("noise-twice", "the noise was scaled by noise twice: noise * torch.randn(...) once.")
    expect(gaussian, f"the points from {what} minus the arcs without noise, {len(residuals)} numbers",
           f"mean {fmt(mean)}, standard deviation {fmt(std)}, {inside:.0%} of them within ±{noise}",
           f"Gaussian times {noise}: mean about 0, standard deviation about {noise}, about 68 % within ±{noise}",
           mistake)


def test_same_seed_same_points_and_torch_global_random_state_untouched(two_moons):
    what = "two_moons(50, 0.1, seed=3)"
    start, start_seed = torch.get_rng_state(), torch.initial_seed()
    try:
        first = call(two_moons, 50, 0.1, 3, describe=what)
        after, after_seed = torch.get_rng_state(), torch.initial_seed()
        again = call(two_moons, 50, 0.1, 3, describe=what)
        other = call(two_moons, 50, 0.1, 4, describe="two_moons(50, 0.1, seed=4)")
    finally:
        torch.set_rng_state(start)
    if values(after) != values(start):
        seeded = after_seed == 3 != start_seed
        expect(False, f"torch's global random state after {what}", "changed", "untouched",
               Mistake("reseeds-global",
               "two_moons called torch.manual_seed(3), which reseeds the generator everything random in the program "
               "shares: draw the noise from a generator of its own, torch.randn(n, 2, generator=generator).")
               if seeded else
               Mistake("global-generator",
               "the noise came from torch's global generator (torch.randn without generator=): make a generator of "
               "its own, generator = torch.Generator().manual_seed(seed), and draw from it: "
               "torch.randn(n, 2, generator=generator)."))
        return
    points = [x[0] if isinstance(x, tuple) and x and is_tensor(x[0]) else None for x in (first, again, other)]
    if None in points:
        expect(False, what, show(first), "(points, labels)")
        return
    same, differs = values(points[0]) == values(points[1]), values(points[0]) != values(points[2])
    expect(same, f"the points of {what}, made twice", "different points", "the same points",
           Mistake("wrong-seed-generator",
           "the noise does not come from a generator seeded with seed: torch.Generator().manual_seed(seed)."))
    expect(differs, f"the points of {what} and of seed=4", "the same points", "different noise",
           Mistake("seed-ignored", "the seed argument was ignored: seed the generator with seed."))
