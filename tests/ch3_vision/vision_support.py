"""Helpers for chapter 3's tests: the digits read independently of the learner's code, small
reference versions of every function of the chapter (torch's own where torch has the thing),
and seeded inputs.

The references are the oracles the tests compare with, and the correct pieces a test puts in
place of the learner's to find out whose fault a failure is. Nothing here runs when it is
imported: the tests of every chapter are collected on every run of the grader.
"""

from __future__ import annotations

import copy
import functools
import gzip
import io
import math

import torch
import torch.nn.functional as F
from diagnosis_support import learner_function, quietly
from support import close, diagnose, expect, expect_tensor, fmt, is_tensor, show, values
from torch import nn

from kata.data import DIGITS

HELD_OUT_SEED = 1000  # the finale's test digits: randperm(1797, manual_seed(1000))[:359]


@functools.cache
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """The shipped digits as the contract has them: x float32 (1797, 1, 8, 8) in [0, 1], y int64 (1797,)."""
    with gzip.open(DIGITS, "rt") as lines:
        rows = [[int(float(v)) for v in line.split(",")] for line in lines if line.strip()]
    table = torch.tensor(rows, dtype=torch.int64)
    return (table[:, :64].float() / 16).reshape(-1, 1, 8, 8), table[:, 64].clone()


def reference_split(x: torch.Tensor, y: torch.Tensor, val_fraction: float, seed: int) -> tuple[torch.Tensor, ...]:
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_val = round(val_fraction * len(x))
    return x[perm[n_val:]], y[perm[n_val:]], x[perm[:n_val]], y[perm[:n_val]]


@functools.cache
def finale_data() -> tuple[torch.Tensor, ...]:
    """(x_train, y_train, x_test, y_test): the 359 test digits are kept from every training run."""
    return reference_split(*digits(), 359 / 1797, HELD_OUT_SEED)


def randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def reference_conv2d(x, weight, bias=None, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """conv2d without torch's convolution, which the exercises that build on it do not allow: every window the
    kernel sees, multiplied by the kernel and added up."""
    x = F.pad(x, (padding, padding, padding, padding))
    windows = x.unfold(2, weight.shape[2], stride).unfold(3, weight.shape[3], stride)
    out = torch.einsum("ncijab,ocab->noij", windows, weight)
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def reference_max_pool2d(x: torch.Tensor, k: int) -> torch.Tensor:
    """max_pool2d without torch's pooling, which the exercises that build on it do not allow."""
    n, c, h, w = x.shape
    return x[:, :, : h // k * k, : w // k * k].reshape(n, c, h // k, k, w // k, k).amax(dim=5).amax(dim=3)


def reference_confusion(predicted: torch.Tensor, targets: torch.Tensor, num_classes: int) -> list[list[int]]:
    """Counted one prediction at a time: the plainest way to be right."""
    table = [[0] * num_classes for _ in range(num_classes)]
    for truth, guess in zip(targets.tolist(), predicted.tolist()):
        table[truth][guess] += 1
    return table


class CorrectConv2d(nn.Module):
    """The contract's Conv2d, drawing its parameters as nn.Conv2d does."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True) -> None:
        super().__init__()
        self.stride, self.padding = stride, padding
        bound = 1 / math.sqrt(in_channels * kernel_size * kernel_size)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return reference_conv2d(x, self.weight, self.bias, self.stride, self.padding)


class CorrectCNN(nn.Module):
    """The contract's CNN, from the references above."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = CorrectConv2d(1, 16, 3, padding=1)
        self.conv2 = CorrectConv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = reference_max_pool2d(torch.relu(self.conv1(x)), 2)
        x = reference_max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def reference_fit(model, train_loader, val_loader, loss_fn, optimizer, epochs: int, patience: int) -> dict:
    """The contract's fit, written as plainly as it reads."""
    history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "best_epoch": -1}
    best, best_state, waited = math.inf, None, 0
    for epoch in range(epochs):
        model.train()
        total, count = 0.0, 0
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        history["train_loss"].append(total / count)
        model.eval()
        total, right, count = 0.0, 0, 0
        with torch.no_grad():
            for xb, yb in val_loader:
                logits = model(xb)
                total += loss_fn(logits, yb).item() * len(xb)
                right += (logits.argmax(dim=1) == yb).sum().item()
                count += len(xb)
        history["val_loss"].append(total / count)
        history["val_accuracy"].append(right / count)
        if total / count < best:
            best, best_state, waited = total / count, copy.deepcopy(model.state_dict()), 0
            history["best_epoch"] = epoch
        else:
            waited += 1
            if waited == patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


# --- reading what the learner returned ------------------------------------------------


def tensor_result(got: object, expected: torch.Tensor, what: str, wrong: list[tuple[torch.Tensor, str]] = (),
                  tol: float = 1e-4, shape_mistake: str | None = None) -> bool:
    """One check that `got` is a tensor with `expected`'s shape and values (within tol); a failure names the
    mistake of `wrong` whose tensor `got` equals, when exactly one does."""
    t = expect_tensor(got, what)
    if t is None:
        return False
    shape = tuple(expected.shape)
    if t.shape != shape:
        fits = [text for candidate, text in wrong if tuple(candidate.shape) == t.shape]
        return expect(False, f"{what}.shape", str(t.shape), str(shape),
                      shape_mistake or (fits[0] if len(set(fits)) == 1 else None))
    if close(t.value, values(expected), tol):
        return True
    mistake = diagnose(t.value, [(values(c), text) for c, text in wrong if tuple(c.shape) == shape], tol)
    return expect(False, what, briefly(got), briefly(expected), mistake)


def briefly(t: torch.Tensor) -> str:
    """A tensor in a message: its shape and its first values, read row by row."""
    flat = values(t.reshape(-1)[:6]) if is_tensor(t) else None
    if flat is None:
        return show(t)
    more = ", ..." if t.numel() > 6 else ""
    return f"tensor of shape {tuple(t.shape)}: {fmt(flat)[:-1]}{more}]"


# --- probes: how a learner's piece differs from the lesson, in a sentence (for diagnosis_support.earlier_fault) ---


def _same(a: object, b: torch.Tensor, tol: float = 1e-4) -> bool:
    return is_tensor(a) and tuple(a.shape) == tuple(b.shape) and close(values(a), values(b), tol)


def _probe_conv2d() -> str | None:
    x, w, b = randn(1, 2, 6, 6, seed=1), randn(3, 2, 3, 3, seed=2), randn(3, seed=3)
    if not _same(quietly(learner_function("conv2d"), x, w, b, 2, 1), F.conv2d(x, w, b, 2, 1)):
        return "conv2d(x, weight, bias, stride=2, padding=1) differs from F.conv2d's"
    return None


def _probe_Conv2d() -> str | None:
    if _probe_conv2d() is not None:
        return None  # the conv2d it calls explains the difference
    x = randn(1, 2, 5, 5, seed=4)
    with torch.random.fork_rng(devices=[]):
        reference = CorrectConv2d(2, 3, 3, 1, 1)
        layer = quietly(learner_function("Conv2d"), 2, 3, 3, 1, 1)
    if not isinstance(layer, nn.Module) or quietly(layer.load_state_dict, reference.state_dict()) is None:
        return "Conv2d(2, 3, 3, padding=1) does not load nn.Conv2d's state_dict"
    if not _same(quietly(layer, x), reference(x)):
        return "Conv2d(2, 3, 3, padding=1) with nn.Conv2d's weights gives other outputs than nn.Conv2d"
    return None


def _probe_max_pool2d() -> str | None:
    x = randn(1, 2, 5, 7, seed=5)
    if not _same(quietly(learner_function("max_pool2d"), x, 2), F.max_pool2d(x, 2)):
        return "max_pool2d(x, 2) differs from F.max_pool2d's"
    return None


def _probe_CNN() -> str | None:
    if any(PROBES[piece]() is not None for piece in ("conv2d", "Conv2d", "max_pool2d")):
        return None  # a piece it is built from explains the difference
    x = digits()[0][:4]
    with torch.random.fork_rng(devices=[]):
        twin = CorrectCNN()
        model = quietly(learner_function("CNN"))
    if not isinstance(model, nn.Module) or quietly(model.load_state_dict, twin.state_dict()) is None:
        return "CNN() does not hold the layers conv1, conv2 and fc of the contract"
    if not _same(quietly(model, x), twin(x)):
        return "CNN() with a correct network's weights gives other logits than it"
    return None


def _probe_Adam() -> str | None:
    def steps(make) -> torch.Tensor | None:
        p = torch.zeros(3, requires_grad=True)
        optimizer = make([p], lr=0.1)
        for t in range(4):
            p.grad = randn(3, seed=t) * torch.tensor([1.0, 1e-2, 1e-4])
            optimizer.step()
        return p.detach().clone()

    if not _same(quietly(steps, learner_function("Adam")), steps(torch.optim.Adam), 1e-6):
        return "four steps of Adam(lr=0.1) move a parameter elsewhere than torch.optim.Adam's"
    return None


def _probe_split() -> str | None:
    x, y = torch.arange(20.0).reshape(10, 2), torch.arange(10)
    got = quietly(learner_function("split"), x, y, 0.3, 1)
    if not (isinstance(got, tuple) and len(got) == 4 and all(_same(a, b, 0) for a, b in
                                                             zip(got, reference_split(x, y, 0.3, 1)))):
        return "split(x, y, 0.3, seed=1) does not give the contract's four tensors"
    return None


def _probe_fit() -> str | None:
    def run(fit) -> tuple | None:
        x = torch.linspace(-1, 1, 12).reshape(12, 1)
        y = (x[:, 0] > 0).long()
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(3)
            model = nn.Linear(1, 2)
        history = fit(model, loader, loader, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0.5), 4, 2)
        return history, values(model.weight)

    got, (history, weight) = quietly(run, learner_function("fit")), run(reference_fit)
    if not (isinstance(got, tuple) and isinstance(got[0], dict) and got[0].get("best_epoch") == history["best_epoch"]
            and all(close(got[0].get(k), history[k]) for k in ("train_loss", "val_loss", "val_accuracy"))
            and close(got[1], weight)):
        return "fit on a small problem returns another history or other weights than the lesson's"
    return None


PROBES = {"conv2d": _probe_conv2d, "Conv2d": _probe_Conv2d, "max_pool2d": _probe_max_pool2d, "CNN": _probe_CNN,
          "Adam": _probe_Adam, "split": _probe_split, "fit": _probe_fit}


def probe(name: str) -> str | None:
    """How the learner's `name` differs from the lesson on a small input, in a sentence; None if it does not
    (or is not loaded)."""
    if learner_function(name) is None:
        return None
    return PROBES[name]()


def ready_to_save() -> None:
    """Pickle a tensor once, before any learner code runs: pickling stores __slotnames__ on torch.Tensor the first
    time, which would otherwise look like a change made by the learner's code. For the checkpoint tests."""
    torch.save(torch.zeros(1), io.BytesIO())
