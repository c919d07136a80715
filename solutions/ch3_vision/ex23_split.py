"""Exercise 23: training data and validation data.

A network that has seen an example during training can recognise it from memory; how well
it does on digits it has never seen is what matters. So some of the data is set aside
before training starts: the validation set. The network never learns from it (no
backward(), no step() on it); it only measures it, once per epoch, and that measurement
decides when to stop training (exercise 30).

The split must be random, because the file is ordered (0, 1, 2, ..., 9, 0, 1, ...) and
written by groups of people: the last fifth of it is not like the rest. And it must be
repeatable: the same seed gives the same split, so that two runs compare models and not
luck. torch.randperm(N) shuffles the indices 0 ... N-1; given a generator of its own,
seeded with `seed`, it repeats itself and leaves torch's global random state alone (as
make_loader did in chapter 2).

Index x and y with the same permutation, so that every image keeps its label.

Try your function:  python -m exercises.ch3_vision.ex23_split
Check it:           python grader.py check 23
"""

import torch


def split(x: torch.Tensor, y: torch.Tensor, val_fraction: float,
          seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Shuffle the pairs with a seeded permutation; return (x_train, y_train, x_val, y_val).

    perm = torch.randperm(N, generator=torch.Generator().manual_seed(seed)) and
    n_val = round(val_fraction * N): validation is perm[:n_val], training perm[n_val:].

    Example: split(x, y, 0.2, seed=0) on the 1,797 digits gives 1,438 training pairs and
             359 validation pairs, the same ones every time.

    Read: torch.randperm, torch.Generator, "Indexing, Slicing, Joining" in the torch docs.
    """
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=generator)
    n_val = round(val_fraction * len(x))
    val, train = perm[:n_val], perm[n_val:]
    return x[train], y[train], x[val], y[val]


if __name__ == "__main__":
    x = torch.arange(10.0).reshape(10, 1)
    y = torch.arange(10)
    try:
        x_train, y_train, x_val, y_val = split(x, y, 0.3, seed=0)
        print(f"validation labels {y_val.tolist()}, training labels {y_train.tolist()}")
        print("  (expected 3 and 7 labels, no label in both, the same lists on every run)")
        print(f"pairs together: {(x_train.flatten() == y_train).all().item()}  (expected True)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 23` says what is wrong.")
