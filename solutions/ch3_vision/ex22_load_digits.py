"""Exercise 22: the digits, as tensors.

The data of this chapter are 1,797 handwritten digits, scanned and shrunk to 8x8 pixels
(the UCI "Optical Recognition of Handwritten Digits" set, shipped with the kata in
kata/data/digits.csv.gz; kata/data/ATTRIBUTION.md says where it comes from). Each line of
the file is one digit: 64 pixel values from 0 (white) to 16 (black), row by row, then the
digit it shows, 0 to 9.

Two things turn those numbers into what a network reads:

- Scale. Pixels of 0 to 16 would make the first layer's outputs sixteen times larger
  than its initial weights expect, and training starts off balance. Divided by 16 every
  pixel lies in [0, 1].
- Layout. torch's image layers read a batch as (N, C, H, W): images, then channels, then
  rows, then columns: "channels first". A grey image has one channel, so the digits
  become a tensor of shape (1797, 1, 8, 8). A colour photo would have three (red, green,
  blue), and each convolution of exercise 24 adds up what it sees in all of them.

The labels are class indices for the cross-entropy: int64, one per image.

Try your function:  python -m exercises.ch3_vision.ex22_load_digits
Check it:           python grader.py check 22
"""

import gzip
from pathlib import Path

import torch

from kata.data import DIGITS


def load_digits(path: str | Path = DIGITS) -> tuple[torch.Tensor, torch.Tensor]:
    """Read the digits file at `path`: return (x, y), x float32 (N, 1, 8, 8) in [0, 1], y int64 (N,).

    Example: x, y = load_digits() gives x of shape (1797, 1, 8, 8) with pixel values
             divided by 16, and y of shape (1797,) starting 0, 1, 2, 3, ...

    Read: gzip.open, torch.Tensor.reshape, torch.Tensor.long, "Tensors" in the PyTorch tutorials.
    """
    with gzip.open(path, "rt") as lines:
        rows = torch.tensor([[float(v) for v in line.split(",")] for line in lines if line.strip()])
    x = (rows[:, :64] / 16).reshape(-1, 1, 8, 8)
    y = rows[:, 64].long()
    return x, y


if __name__ == "__main__":
    try:
        x, y = load_digits()
        print(f"x: shape {tuple(x.shape)}, {x.dtype}, values {x.min().item():.2f} to {x.max().item():.2f}"
              "  (expected (1797, 1, 8, 8), torch.float32, 0.00 to 1.00)")
        print(f"y: shape {tuple(y.shape)}, {y.dtype}, first labels {y[:10].tolist()}  (expected (1797,), torch.int64)")
        print(f"The first digit, a {y[0].item()}:")
        for row in x[0, 0]:
            print("  " + "".join(" .:-=+*#%@"[min(9, int(v * 10))] * 2 for v in row.tolist()))
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 22` says what is wrong.")
