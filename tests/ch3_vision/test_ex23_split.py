"""Exercise 23: split(x, y, val_fraction, seed) puts perm[:n_val] in validation and perm[n_val:] in training, for
perm = torch.randperm(N, generator=torch.Generator().manual_seed(seed)) and n_val = round(val_fraction * N), with pairs
kept together and torch's global random state untouched."""

import torch
from support import Mistake, call, expect, expect_tuple, facts, show
from vision_support import reference_split

N, FRACTION = 47, 0.25  # round(11.75) = 12, int() would give 11
X = torch.arange(N * 2, dtype=torch.float32).reshape(N, 2)
Y = torch.arange(N) * 10  # y[i] == x[i, 0] * 5: a pair is still together when this holds


def _split(split, seed: int):
    what = f"split(x, y, {FRACTION}, seed={seed}) on {N} pairs"
    result = call(split, X.clone(), Y.clone(), FRACTION, seed, describe=what)
    return expect_tuple(result, 4, what, "(x_train, y_train, x_val, y_val)"), what


def _labels(t) -> list | None:
    return facts(t).value if isinstance(t, torch.Tensor) else None


def test_validation_is_the_start_of_the_seeded_permutation(split):
    items, what = _split(split, 3)
    if items is None:
        return
    want = reference_split(X, Y, FRACTION, 3)
    got = [_labels(t) for t in items]
    expected = [facts(t).value for t in want]
    if got[1] == expected[1] and got[3] == expected[3]:
        expect(got[0] == expected[0] and got[2] == expected[2], f"x_train and x_val from {what}",
               "rows that do not belong to their labels", "the rows of x in the same order as the labels",
               Mistake("two-permutations", "x and y were indexed with different permutations: use one index tensor for "
                                           "both, so that every image keeps its label."))
        return
    n_train, n_val = (len(got[1]) if got[1] else 0), (len(got[3]) if got[3] else 0)
    mistake = None
    if (n_train, n_val) == (len(expected[3]), len(expected[1])) or (got[1] and got[1][:len(expected[3])] == expected[3]):
        mistake = Mistake("train-val-swapped", "training and validation are the wrong way round: validation is "
                                               "perm[:n_val], training perm[n_val:].")
    elif n_val == int(FRACTION * N) and n_val != round(FRACTION * N):
        mistake = Mistake("n-val-not-rounded", f"n_val must be round(val_fraction * N) = {round(FRACTION * N)}; "
                                               "int() cuts 11.75 down to 11.")
    elif got[1] is not None and got[3] is not None and sorted(got[1] + got[3]) == sorted(Y.tolist()) \
            and n_val == len(expected[3]):
        mistake = (Mistake("other-order", "the pairs are split in another order than the contract's: shuffle with "
                                          "torch.randperm(N, generator=torch.Generator().manual_seed(seed)), and take "
                                          "validation first."))
    expect(False, f"y_val and y_train from {what}", f"{show(items[3])}, {show(items[1])}",
           f"{expected[3]}, {expected[1]}", mistake)


def test_pairs_stay_together(split):
    items, what = _split(split, 4)
    if items is None:
        return
    for part, (xs, ys) in (("training", items[:2]), ("validation", items[2:])):
        if not (isinstance(xs, torch.Tensor) and isinstance(ys, torch.Tensor) and len(xs) == len(ys)):
            expect(False, f"the {part} pairs from {what}", f"{show(xs)} and {show(ys)}", "tensors of equal length")
            continue
        together = [r[0] * 5 for r in facts(xs).value] == facts(ys).value
        expect(together, f"the {part} pairs from {what}", "images and labels that were pairs no longer are",
               "each row of x with its own label", Mistake("pairs-apart", "x and y were permuted apart: index both "
                                                                          "with the same permutation."))


def test_same_seed_same_split_and_global_random_state_untouched(split):
    state = torch.get_rng_state()
    first, what = _split(split, 7)
    changed = not torch.equal(state, torch.get_rng_state())
    torch.set_rng_state(state)
    again, _ = _split(split, 7)
    other, _ = _split(split, 8)
    torch.set_rng_state(state)
    if None in (first, again, other):
        return
    expect(not changed, f"torch's global random state after {what}", "changed", "untouched",
           Mistake("global-generator", "the split draws from torch's global generator (torch.manual_seed, or randperm "
                                       "without generator=): give torch.randperm a generator of its own, "
                                       "torch.Generator().manual_seed(seed)."))
    expect(_labels(first[3]) == _labels(again[3]), f"y_val from {what}, twice", "two different splits",
           "the same split", Mistake("seed-not-used", "the seed must decide the permutation: "
                                                      "torch.Generator().manual_seed(seed)."))
    expect(_labels(first[3]) != _labels(other[3]), "y_val with seed=7 and seed=8", "the same split",
           "different splits", Mistake("seed-ignored", "the seed argument was ignored: seed the generator with it."))
