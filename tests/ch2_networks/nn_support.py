"""Helpers for chapter 2's tests: seeded parameters, correct pieces that a test puts in place
of the learner's to find out whose fault a failure is, the two moons, and the order of the
calls a training loop makes.

Nothing here runs when it is imported: the tests of every chapter are collected on every
run of the grader.
"""

from __future__ import annotations

import functools
import math
import re
import sys
from collections.abc import Callable, Iterable

import torch
from support import Mistake, close
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def seed_parameters(module: nn.Module, seed: int, scale: float = 0.5) -> None:
    """Give every parameter of `module`, in order, values drawn from a generator seeded with `seed`."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)


def linear(in_features: int, out_features: int, seed: int) -> nn.Linear:
    """An nn.Linear with seeded parameters, made without drawing from torch's global generator."""
    layer = without_global_rng(nn.Linear, in_features, out_features)  # skip_init would load the meta device: 1 s
    seed_parameters(layer, seed)
    return layer


NO_SUPER = (Mistake("no-super",
            "nn.Module's own set-up never ran: call super().__init__() first in __init__, before "
            "assigning any parameter or layer to self."))


def missing_super(exc: BaseException) -> bool:
    """Whether `exc` is what nn.Module raises when a subclass's __init__ skipped super().__init__()."""
    text = str(exc)
    return isinstance(exc, AttributeError) and (
        "Module.__init__" in text or re.search(r"has no attribute '_(parameters|buffers|modules|\w*hooks)", text)
        is not None)


def quietly(fn: Callable, *args):
    """fn(*args), or None if it raises: for runs with correct pieces in place of the learner's, where an
    error only means that those pieces did not put things right."""
    try:
        return fn(*args)
    except Exception:
        return None


def without_global_rng(fn: Callable, *args):
    """fn(*args), with torch's global random state put back afterwards, whatever fn did to it."""
    with torch.random.fork_rng(devices=[]):
        return fn(*args)


# --- correct pieces, to stand in for the learner's ------------------------------------


def correct_relu(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=0)


class CorrectMLP(nn.Module):
    """Contract's MLP, built from nn.Linear and a relu that no exercise forbids."""

    def __init__(self, sizes) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = correct_relu(layer(x))
        return self.layers[-1](x)


def correct_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    with torch.no_grad():
        return (logits.argmax(dim=1) == targets).float().mean().item()


class _WholeBatches(TensorDataset):
    """A TensorDataset that gives a DataLoader each batch in one indexing, rather than row by row and
    stacked: the same batches, without a Python call per row (exercise 21's blame runs train on it)."""

    def __getitems__(self, indices: list[int]) -> list[torch.Tensor]:
        return [tensor[indices] for tensor in self.tensors]


def _as_fetched(batch: list[torch.Tensor]) -> list[torch.Tensor]:
    return batch


def correct_loader(x, y, batch_size: int, shuffle: bool = True, seed: int = 0) -> DataLoader:
    return DataLoader(_WholeBatches(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed), collate_fn=_as_fetched)


def correct_train_epoch(model: nn.Module, loader, loss_fn, optimizer) -> float:
    model.train()
    total, count = 0.0, 0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        count += len(xb)
    return total / count


def substitute(monkeypatch, module, name: str, replacement: object) -> bool:
    """Put `replacement` in place of the learner's `name`, wherever their modules refer to it.

    `module` is the learner's module that defines `name`. Every module of the same package
    that holds the same object (under any name) gets the replacement, until the test ends.
    False when there is nothing of that name to replace.
    """
    original = getattr(module, name, None)
    if original is None:
        return False
    package = module.__name__.rpartition(".")[0] + "."
    # Only the names of sys.modules are read, and the modules of the learner's package touched.
    for key in [k for k in sys.modules if k.startswith(package)]:
        learner = sys.modules[key]
        for attr, value in list(vars(learner).items()):
            if value is original:
                monkeypatch.setattr(learner, attr, replacement)
    return True


# --- the two moons ---------------------------------------------------------------------


def arcs(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The contract's two moons without noise: (points, labels)."""
    m = n // 2
    t0, t1 = torch.linspace(0, math.pi, m), torch.linspace(0, math.pi, n - m)
    upper = torch.stack([torch.cos(t0), torch.sin(t0)], dim=1)
    lower = torch.stack([1 - torch.cos(t1), 0.5 - torch.sin(t1)], dim=1)
    labels = torch.cat([torch.zeros(m, dtype=torch.int64), torch.ones(n - m, dtype=torch.int64)])
    return torch.cat([upper, lower]), labels


def moons(n: int, noise: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The contract's two moons: the arcs plus noise times Gaussian noise from a seeded generator."""
    points, labels = arcs(n)
    return points + noise * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)), labels


def _distance_to_half_circle(points: torch.Tensor, centre: tuple[float, float], upper: bool) -> torch.Tensor:
    dx, dy = points[:, 0] - centre[0], points[:, 1] - centre[1]
    on_side = dy >= 0 if upper else dy <= 0
    radial = (torch.sqrt(dx**2 + dy**2) - 1).abs()
    ends = torch.minimum(torch.sqrt((dx - 1) ** 2 + dy**2), torch.sqrt((dx + 1) ** 2 + dy**2))
    return torch.where(on_side, radial, ends)


def nearest_arc(points: torch.Tensor) -> torch.Tensor:
    """The class of the arc nearer to each point: a correct classifier of the moons, in closed form."""
    upper = _distance_to_half_circle(points, (0.0, 0.0), upper=True)
    lower = _distance_to_half_circle(points, (1.0, 0.5), upper=False)
    return (lower < upper).long()


# --- what a training loop did, in order -------------------------------------------------

TRAINING_CALLS = ("zero_grad", "backward", "step")


def logging(log: list[str], event: str, fn: Callable) -> Callable:
    """fn, appending `event` to `log` each time it is called."""

    @functools.wraps(fn)
    def logged(*args, **kwargs):
        log.append(event)
        return fn(*args, **kwargs)

    return logged


def log_backward(monkeypatch, log: list[str]) -> None:
    """Every backward() (loss.backward() goes through torch.autograd.backward) is logged until the test ends."""
    monkeypatch.setattr(torch.autograd, "backward", logging(log, "backward", torch.autograd.backward))


def calls_read(log: Iterable[str], shown: int = 9) -> str:
    calls = [e for e in log if e in TRAINING_CALLS]
    text = ", ".join(calls[:shown]) + (", ..." if len(calls) > shown else "")
    return f"{text} ({len(calls)} calls)" if calls else "no call of zero_grad, backward or step"


def order_mistake(log: Iterable[str], unit: str, count: int, stale_start: bool = False) -> str | None:
    """What is wrong with the order of zero_grad, backward and step over `count` units, if anything.

    A unit (an epoch, a batch) needs a backward() and then a step(), with a zero_grad() before
    the backward unless no gradient can be left over: the first unit, when `stale_start` is
    false. zero_grad at the end of each unit is as good as at its start.
    """
    calls = [e for e in log if e in TRAINING_CALLS]
    backwards, steps = calls.count("backward"), calls.count("step")
    if backwards == 0:
        return Mistake("no-backward", "backward() was never called, so there were no gradients for step() to follow.")
    if steps == 0:
        return Mistake("no-step", "optimizer.step() was never called, so no parameter changed.")
    if backwards != count or steps != count:
        units = "batches" if unit == "batch" else f"{unit}s"
        return (Mistake("wrong-call-counts",
                f"backward() ran {backwards} times and step() {steps} times in {count} {units}: "
                f"each {unit} needs exactly one of each."))
    if "zero_grad" not in calls:
        return (Mistake("no-zero-grad",
                "zero_grad() was never called. backward() adds to .grad, so every step followed the sum "
                "of all the gradients so far. Call optimizer.zero_grad() before backward() each time."))
    since: list[str] = []
    for n, event in enumerate(calls):
        if event != "step":
            since.append(event)
            continue
        first = n == calls.index("step")
        if "backward" not in since:
            return (Mistake("step-before-backward",
                    f"step() ran before backward() in each {unit}, so each step followed the gradient of the "
                    f"{unit} before (or none at all). The order is zero_grad(), backward(), step()."))
        last_backward = len(since) - 1 - since[::-1].index("backward")
        if "zero_grad" in since[last_backward:]:
            return (Mistake("zero-grad-between",
                    "zero_grad() ran between backward() and step(), so step() found the gradients already "
                    "cleared and nothing was learned. The order is zero_grad(), backward(), step()."))
        if "zero_grad" not in since[:last_backward] and (not first or stale_start):
            if first:
                return (Mistake("stale-first-grad",
                        f"the first {unit}'s step followed the gradients left in .grad from before: call "
                        f"optimizer.zero_grad() before backward() in every {unit}, the first one too."))
            return (Mistake("zero-grad-not-every",
                    f"zero_grad() was not called in every {unit}, so gradients added up across {unit}s. "
                    f"Call it once per {unit}, before backward()."))
        since = []
    return None


def only_one(got: object, wrong: list[tuple[object, str]], tol: float = 1e-5) -> str | None:
    """The explanation of the known wrong answer that `got` equals, when exactly one explanation fits."""
    fits = {explanation for value, explanation in wrong if close(got, value, tol)}
    return fits.pop() if len(fits) == 1 else None
