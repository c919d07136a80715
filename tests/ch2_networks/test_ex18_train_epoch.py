"""Exercise 18: train_epoch(model, loader, loss_fn, optimizer) trains one pass in training mode and returns the mean loss over samples."""

import functools

import torch
import torch.nn.functional as F
from diagnosis_support import calls_read, log_backward, logging, order_mistake
from nn_support import correct_loader, linear
from support import Mistake, call, close, diagnose, expect, fmt, is_float, is_tensor, show, values
from torch import nn

N, BATCH, SEED, LR = 10, 4, 180, 0.5  # batches of 4, 4 and 2
BATCHES = -(-N // BATCH)
CALL = "train_epoch(model, loader, F.cross_entropy, optimizer) with batches of 4, 4 and 2"


def _data():
    gen = torch.Generator().manual_seed(SEED)
    return torch.randn(N, 3, generator=gen), torch.randint(0, 3, (N,), generator=gen)


def _stale(model: nn.Module) -> None:
    """Gradients left over from earlier work, which the epoch must not follow."""
    gen = torch.Generator().manual_seed(SEED + 1)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=gen)


@functools.cache
def _reference() -> tuple[list[tuple[float, int]], list]:
    """What a correct epoch gives: (each batch's loss and size, the weight afterwards)."""
    model = linear(3, 3, SEED)
    _stale(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    batches = []
    for xb, yb in correct_loader(*_data(), BATCH, shuffle=False):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        batches.append((loss.item(), len(xb)))
    return batches, values(model.weight)


def _run(train_epoch, monkeypatch):
    """The learner's epoch on a model in eval mode with stale gradients, everything it did logged."""
    model = linear(3, 3, SEED)
    _stale(model)
    model.eval()
    log: list[str] = []
    modes: list[bool] = []

    def seen(module: nn.Module, args: tuple) -> None:
        log.append("forward")
        modes.append(module.training)

    model.register_forward_pre_hook(seen)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    optimizer.zero_grad = logging(log, "zero_grad", optimizer.zero_grad)
    optimizer.step = logging(log, "step", optimizer.step)
    monkeypatch.setattr(nn.Module, "zero_grad", logging(log, "zero_grad", nn.Module.zero_grad))
    log_backward(monkeypatch, log)
    loss_fn = logging(log, "loss", F.cross_entropy)
    result = call(train_epoch, model, correct_loader(*_data(), BATCH, shuffle=False), loss_fn, optimizer,
                  describe=CALL)
    monkeypatch.undo()  # the log is complete: what runs next is the test's own
    return result, model, log, modes


def _loss_mistake(got: float, batches: list[tuple[float, int]]) -> str | None:
    losses = [loss for loss, _ in batches]
    weighted = sum(loss * size for loss, size in batches)
    return diagnose(got, [
        (sum(losses) / len(losses), Mistake("batches-unweighted",
                                    "each batch counted once, whatever its size: weight each batch's loss by its "
                                    "size, total += loss.item() * len(x_batch), then divide by the number of samples.")),
        (losses[-1], Mistake("last-batch-only",
                     "this is the last batch's loss alone: add up every batch's loss, weighted by its size.")),
        (sum(losses), Mistake("sum-of-batches",
                      "this is the sum of the batches' losses: weight each by its size, then divide by the number "
                      "of samples.")),
        (weighted, Mistake("not-divided", "the weighted sum was not divided by the number of samples.")),
        (weighted / len(losses), Mistake("divided-by-batches",
                                 "the weighted sum was divided by the number of batches, not of samples.")),
    ])


def test_returns_the_mean_loss_over_samples(train_epoch, monkeypatch):
    result, model, log, _ = _run(train_epoch, monkeypatch)
    batches, weight = _reference()
    expected = sum(loss * size for loss, size in batches) / N
    if is_tensor(result):
        expect(False, CALL, show(result), f"{fmt(expected)}, a Python float",
               Mistake("tensor-returned",
               "a tensor came back: add up loss.item() (a Python number), not the loss tensors."))
        return
    if not expect(is_float(result), CALL, show(result), f"{fmt(expected)}, a Python float"):
        return
    if close(result, expected):
        return
    trained_right = close(values(model.weight), weight)
    mistake = _loss_mistake(result, batches) if trained_right else order_mistake(log, "batch", BATCHES, stale_start=True)
    expect(False, CALL, fmt(result), f"{fmt(expected)}, the mean over the 10 samples", mistake)


def test_each_batch_is_zero_grad_forward_loss_backward_step(train_epoch, monkeypatch):
    _, model, log, _ = _run(train_epoch, monkeypatch)
    _, weight = _reference()
    mistake = order_mistake(log, "batch", BATCHES, stale_start=True)
    if not expect(mistake is None, f"the calls of zero_grad, backward and step during {CALL}", calls_read(log),
                  "zero_grad, backward, step in each of the 3 batches", mistake):
        return
    for event in ("forward", "loss"):
        expect(log.count(event) == BATCHES, f"the {event} calls during {CALL}", str(log.count(event)),
               f"{BATCHES}, one per batch", Mistake("wrong-loop",
                                            "go through the loader once, with one forward and one loss per batch."))
    expect(close(values(model.weight), weight), f"model.weight after {CALL}", fmt(values(model.weight)),
           f"{fmt(weight)}, as after a correct epoch with torch.optim.SGD")


def test_trains_in_training_mode(train_epoch, monkeypatch):
    _, model, _, modes = _run(train_epoch, monkeypatch)
    if not expect(bool(modes), f"forward calls of the model during {CALL}", "none", "one per batch",
                  Mistake("model-not-called", "call the model on every batch: loss_fn(model(x_batch), y_batch).")):
        return
    expect(all(modes), f"model.training at each forward of {CALL}, the model given in evaluation mode",
           str(modes), str([True] * len(modes)),
           Mistake("eval-mode",
           "the model stayed in evaluation mode: call model.train() at the start of the epoch, since the model "
           "may come from evaluate(), which leaves it in eval mode."))
