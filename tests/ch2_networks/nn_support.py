"""Helpers for chapter 2's tests: seeded parameters, correct pieces that a test puts in place
of the learner's to find out whose fault a failure is, and the two moons. The machinery that
uses them (substitution, the order of a training loop's calls) is in diagnosis_support.

Nothing here runs when it is imported: the tests of every chapter are collected on every
run of the grader.
"""

from __future__ import annotations

import math

import torch
from diagnosis_support import without_global_rng
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
