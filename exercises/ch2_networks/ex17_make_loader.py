"""Exercise 17: the data, in batches.

Gradient descent over all the data takes one careful step per pass. A step after each
small batch of examples makes many cheaper, noisier steps per pass, and usually learns
faster: stochastic gradient descent. The batches should come in a new random order in
every pass, so that the model does not see the same sequence every time.

torch.utils.data does this for you:
- TensorDataset(x, y) pairs row i of x with row i of y: dataset[i] is (x[i], y[i]).
  Shuffling it moves whole pairs. (Shuffling x and y each on its own would pair every
  input with some other input's label, and the model would learn noise.)
- DataLoader(dataset, batch_size=..., shuffle=True) yields (x_batch, y_batch), every
  example once per pass; the last batch takes what is left and may be smaller.

Where does the random order come from? By default from torch's global random generator,
which everything random in the program shares: how the data is shuffled then depends on
what ran before, and shuffling changes what runs after. Give the loader a generator of
its own, `torch.Generator().manual_seed(seed)`: the same seed gives the same orders, and
nothing else is disturbed. (`torch.manual_seed(seed)` would reseed the global generator
for everyone: not a loader's business.)

Try your function:  python -m exercises.ch2_networks.ex17_make_loader
Check it:           python grader.py check 17
"""

import torch
from torch.utils.data import DataLoader, TensorDataset


def make_loader(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """Return a DataLoader over TensorDataset(x, y) in batches of batch_size, shuffled by its own generator.

    With shuffle, the order comes from torch.Generator().manual_seed(seed), a new order in
    every pass; without it, the batches come in the data's order.

    Example: make_loader(x, y, batch_size=4) over 10 pairs yields batches of 4, 4 and 2 pairs.

    Read: torch.utils.data.TensorDataset, torch.utils.data.DataLoader (shuffle, generator), torch.Generator.
    """
    # Given even without shuffle: every pass draws a number from the loader's generator
    # (a seed for worker processes), and without one it would come from the global generator.
    # EXERCISE 17 (make_loader): write your code here.
    raise NotImplementedError("Exercise 17 (make_loader) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    x = torch.arange(10.0).unsqueeze(1)
    y = torch.arange(10)
    try:
        loader = make_loader(x, y, batch_size=4, seed=0)
        passes = [[yb.tolist() for _, yb in loader] for _ in range(2)]
        for n, batches in enumerate(passes, 1):
            print(f"pass {n}: labels in batches {batches}")
        print("(expected batches of 4, 4 and 2, every label once per pass, a new order in each pass)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 17` says what is wrong.")
