"""Exercise 22: load_digits(path) reads the digits file into x float32 (N, 1, 8, 8), pixels divided by 16, and
y int64 (N,), in the file's order."""

import gzip
from pathlib import Path

import torch
from diagnosis_support import scratch_folder
from support import Mistake, call, expect, expect_tuple, facts, show
from vision_support import digits, tensor_result

LAYOUT = (Mistake("image-layout", "the images must be channels first, (N, C, H, W): (N, 1, 8, 8) for one grey "
                                   "channel. Reshape with .reshape(-1, 1, 8, 8)."))


def test_reads_the_digits_channels_first_and_scaled(load_digits):
    what = "load_digits()"
    items = expect_tuple(call(load_digits, describe=what), 2, what, "(x, y)")
    if items is None:
        return
    x, y = items
    want_x, want_y = digits()
    wrong = [(want_x * 16, Mistake("not-scaled", "the pixels are not scaled: divide them by 16, so that they lie in "
                                                 "[0, 1].")),
             (want_x.reshape(-1, 64), LAYOUT), (want_x.reshape(-1, 8, 8), LAYOUT),
             (want_x.reshape(-1, 8, 8, 1), LAYOUT + " (N, 8, 8, 1) is channels last."),
             (want_x.transpose(2, 3), Mistake("rows-columns-swapped", "rows and columns are swapped: the 64 values are "
                                                                      "the image row by row, so reshape straight to "
                                                                      "(-1, 1, 8, 8) without transposing.")),
             (want_x * 16 / 255, Mistake("divided-by-255", "the pixels were divided by 255; these go from 0 to 16: "
                                                           "divide by 16."))]
    if tensor_result(x, want_x, f"x from {what}", wrong, tol=1e-6):
        expect(facts(x).dtype == "float32", f"x.dtype from {what}", facts(x).dtype, "float32",
               Mistake("pixels-not-float32", "the pixels must be float32, the dtype of torch's layers: make them with "
                                             "torch.tensor of floats or .float()."))
    tensor_result(y, want_y, f"y from {what}", [
        (want_y.reshape(-1, 1), Mistake("labels-column", "y is a column (N, 1): give one label per image, shape (N,), "
                                                         "from the last column.")),
        (torch.zeros(1797), Mistake("labels-all-zero", "the labels are all 0: they are the last of the 65 values of "
                                                       "each line."))], tol=0)
    if isinstance(y, torch.Tensor) and tuple(y.shape) == (1797,):
        expect(facts(y).dtype == "int64", f"y.dtype from {what}", facts(y).dtype, "int64",
               Mistake("labels-not-int64", "labels are class indices for the cross-entropy: int64, made with .long()."))


def test_reads_the_file_it_is_given(load_digits):
    with scratch_folder() as folder:
        _three_digits(load_digits, folder / "three.csv.gz")


def _three_digits(load_digits, path: Path) -> None:
    rows = [[16] * 64 + [7], [0] * 64 + [3], [8] * 32 + [4] * 32 + [0]]
    with gzip.open(path, "wt") as f:
        f.write("".join(",".join(str(v) for v in row) + "\n" for row in rows))
    what = f"load_digits({str(path)!r}) on a file of three digits"
    items = expect_tuple(call(load_digits, path, describe=what), 2, what, "(x, y)")
    if items is None:
        return
    x, y = items
    want_x = torch.tensor([row[:64] for row in rows], dtype=torch.float32).reshape(-1, 1, 8, 8) / 16
    ok = tensor_result(x, want_x, f"x from {what}", [(digits()[0], Mistake("path-ignored", "the path argument was "
                                                                                           "ignored: read the file at "
                                                                                           "`path`, "
                                                                                           "whatever it "
                                                                                           "is."))], tol=1e-6)
    if ok:
        expect(isinstance(y, torch.Tensor) and facts(y).value == [7, 3, 0], f"y from {what}", show(y),
               "tensor([7, 3, 0])", Mistake("labels-out-of-order", "the labels are the last value of each line, in the "
                                                                   "file's order."))
