"""Exercise 17: make_loader(x, y, batch_size, shuffle, seed) is a DataLoader of (x, y) pairs, shuffled by a generator of its own."""

import torch
from support import Mistake, call, expect, facts, is_tensor, show, values
from torch.utils.data import DataLoader

NO_GENERATOR_SHUFFLED = Mistake("global-generator", "the shuffling drew from torch's global generator, as a "
                                "DataLoader does when it has no generator of its own: pass "
                                "generator=torch.Generator().manual_seed(seed).")
NO_GENERATOR_IN_ORDER = Mistake("global-generator-in-order", "even without shuffling, each pass over a DataLoader "
                                "draws one number (a seed for worker processes) from its generator, and from torch's "
                                "global one when it has none of its own: pass generator=torch.Generator().manual_seed"
                                "(seed) whether or not it shuffles.")


def _data(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row i of x is (i, -i) and its label is i, so every batch shows whether its pairs stayed together."""
    i = torch.arange(n)
    return torch.stack([i.float(), -i.float()], dim=1), i


def _one_pass(loader: object, what: str) -> list[list[int]] | None:
    """The labels of each batch of one pass, after checking each batch; None after a failed check."""
    got = show(loader) if not isinstance(loader, (list, tuple)) else f"a {type(loader).__name__} of {len(loader)} items"
    if not expect(isinstance(loader, DataLoader), what, got, "a torch.utils.data.DataLoader",
                  Mistake("returned-not-loader",
                  "return the DataLoader itself: DataLoader(TensorDataset(x, y), batch_size=..., ...).")):
        return None
    batches = []
    for n, batch in enumerate(call(iter, loader, describe=f"iter({what})")):
        where = f"batch {n} of a pass over {what}"
        if not expect(isinstance(batch, (tuple, list)) and len(batch) == 2 and all(map(is_tensor, batch)), where,
                      show(batch), "a pair (x_batch, y_batch) of tensors",
                      Mistake("not-tensor-dataset",
                      "the dataset must be TensorDataset(x, y): it yields (x[i], y[i]), and the loader stacks "
                      "them into a pair of batches.")):
            return None
        xb, yb = facts(batch[0]), facts(batch[1])
        if not expect(xb.dtype == "float32" and yb.dtype == "int64" and len(xb.shape) == 2 and len(yb.shape) == 1,
                      f"x_batch and y_batch of {where}", f"{xb}, {yb}",
                      "x_batch float32 of shape (B, 2), y_batch int64 of shape (B,)",
                      Mistake("converted-data",
                      "x and y must reach the loader as they came: TensorDataset(x, y), no conversion.")):
            return None
        labels = yb.value
        if not expect([row[0] for row in xb.value] == [float(v) for v in labels], f"the pairs in {where}",
                      f"x rows {[row[0] for row in xb.value][:6]} with labels {labels[:6]}",
                      "each row of x with its own label (row i of x starts with i here)",
                      Mistake("shuffled-apart",
                      "x and y were shuffled apart, so inputs meet other inputs' labels and the model would learn "
                      "noise. Put them in one TensorDataset(x, y) and shuffle that: pairs then move together.")):
            return None
        batches.append(labels)
    return batches


def _sizes_mistake(sizes: list[int], batch_size: int, n: int) -> str | None:
    if sizes == [batch_size] * (n // batch_size):
        return Mistake("drop-last",
               "the last, smaller batch is missing: drop_last=True drops it; leave drop_last at its default, False.")
    if sizes == [1] * n:
        return Mistake("no-batch-size",
               "every batch holds one pair: DataLoader's batch_size is 1 unless it is given; pass batch_size=batch_size.")
    if sizes == [n]:
        return Mistake("one-batch", "all the data came as one batch: pass batch_size=batch_size to the DataLoader.")
    return None


def test_every_pair_once_per_pass_in_batches_of_batch_size(make_loader):
    x, y = _data(10)
    for shuffle in (True, False):
        what = f"make_loader(x, y, batch_size=4, shuffle={shuffle}) over 10 pairs"
        batches = _one_pass(call(make_loader, x.clone(), y.clone(), 4, shuffle, 0, describe=what), what)
        if batches is None:
            return
        sizes = [len(b) for b in batches]
        if not expect(sizes == [4, 4, 2], f"the batch sizes of one pass over {what}", str(sizes), "[4, 4, 2]",
                      _sizes_mistake(sizes, 4, 10)):
            return
        labels = sorted(v for b in batches for v in b)
        if not expect(labels == list(range(10)), f"the labels seen in one pass over {what}", str(labels),
                      "each of 0 ... 9 exactly once"):
            return


def test_without_shuffle_the_data_keeps_its_order(make_loader):
    x, y = _data(10)
    what = "make_loader(x, y, batch_size=4, shuffle=False) over 10 pairs"
    batches = _one_pass(call(make_loader, x.clone(), y.clone(), 4, False, 0, describe=what), what)
    if batches is not None:
        expect(batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], f"the labels of one pass over {what}", str(batches),
               "[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]", Mistake("shuffled-anyway",
                                                       "the data was shuffled although shuffle=False: pass "
                                                      "shuffle=shuffle to the DataLoader."))


def test_shuffled_orders_are_new_each_pass_and_repeat_with_the_seed(make_loader):
    x, y = _data(20)

    def passes(seed: int, count: int) -> list | None:
        what = f"make_loader(x, y, batch_size=5, seed={seed}) over 20 pairs"
        loader = call(make_loader, x.clone(), y.clone(), 5, True, seed, describe=what)
        orders = []
        for _ in range(count):
            batches = _one_pass(loader, what)
            if batches is None:
                return None
            orders.append([v for b in batches for v in b])
        return orders

    first, again, other = passes(3, 2), passes(3, 2), passes(4, 1)
    if first is None or again is None or other is None:
        return
    order = "the order of the labels"
    if not expect(first[0] != list(range(20)), f"{order} in a pass of make_loader(x, y, 5, seed=3)", str(first[0]),
                  "a shuffled order", Mistake("not-shuffled",
                                      "shuffle=True came through unshuffled: pass shuffle=shuffle to the DataLoader.")):
        return
    if not expect(first[0] != first[1], f"{order} in two passes of one make_loader(x, y, 5, seed=3)",
                  f"the same both times: {first[0]}", "a new order in every pass",
                  Mistake("fixed-order",
                  "the order was fixed once, when the loader was made (a permutation drawn up front): let the "
                  "DataLoader shuffle (shuffle=True, generator=...), which draws a new order each pass.")):
        return
    expect(first == again, f"{order} in the first two passes of two loaders made with seed=3",
           f"{first[0][:10]}... then {again[0][:10]}...", "the same orders from the same seed",
           Mistake("global-generator",
           "the order does not come from the seed: without a generator of its own, the DataLoader draws from "
           "torch's global generator, which had moved on. Pass generator=torch.Generator().manual_seed(seed)."))
    expect(first[0] != other[0], f"{order} with seed=3 and with seed=4", f"the same: {first[0]}",
           "different orders", Mistake("seed-ignored",
                               "the seed argument was ignored: seed the loader's generator with seed, "
                               "torch.Generator().manual_seed(seed)."))


def test_torch_global_random_state_is_untouched(make_loader):
    for shuffle in (True, False):
        if not _leaves_global_state(make_loader, shuffle):
            return


def _leaves_global_state(make_loader, shuffle: bool) -> bool:
    """Whether making the loader and two passes over it leave torch's global random state as it was."""
    x, y = _data(20)
    what = f"make_loader(x, y, batch_size=5, shuffle={shuffle}, seed=5)"
    start, start_seed = torch.get_rng_state(), torch.initial_seed()
    try:
        loader = call(make_loader, x.clone(), y.clone(), 5, shuffle, 5, describe=what)
        made, made_seed = torch.get_rng_state(), torch.initial_seed()
        for _ in range(2):
            if _one_pass(loader, what) is None:
                return False
        iterated = torch.get_rng_state()
    finally:
        torch.set_rng_state(start)
    state = "torch's global random state"
    if values(made) != values(start):
        seeded = made_seed == 5 != start_seed
        expect(False, f"{state} after {what}", "changed", "untouched",
               Mistake("reseeds-global",
               "make_loader called torch.manual_seed(5), which reseeds the generator that everything random in "
               "the program shares. Give the loader a generator of its own: torch.Generator().manual_seed(seed).")
               if seeded else
               Mistake("draws-global",
               "make_loader drew numbers from torch's global generator: draw from a generator of its own instead."))
        return False
    return expect(values(iterated) == values(made), f"{state} after two passes over {what}", "changed", "untouched",
                  NO_GENERATOR_SHUFFLED if shuffle else NO_GENERATOR_IN_ORDER)
