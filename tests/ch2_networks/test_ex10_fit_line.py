"""Exercise 10: fit_line(x, y, lr, epochs) is chapter 1's regression with nn.Linear, nn.MSELoss and torch.optim.SGD."""

import functools

import torch
from diagnosis_support import calls_read, log_backward, logging, order_mistake
from support import Mistake, call, close, diagnose, expect, expect_tuple, facts, fmt, is_float, is_tensor, show, values
from torch import nn

# Chapter 1's data and numbers: y = 2x on four points, lr = 0.01, 100 epochs, from 0.
X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
BRIDGE = {"weight": 1.846347, "bias": 0.451757, 10: 1.175107, 100: 0.034290}
START_LOSS = 30.0  # the loss at weight = bias = 0: (2**2 + 4**2 + 6**2 + 8**2) / 4
DEFAULT_LR, DEFAULT_EPOCHS = 0.01, 100
TUTORIAL_CALL = "fit_line(x, y) on chapter 1's data"


@functools.cache
def descend(data: str, lr: float, epochs: int, variant: str = "") -> tuple[float, float, tuple[float, ...]]:
    """(weight, bias, losses) of gradient descent on the line, with the MSE's gradients written out.

    The variants are the usual mistakes: "never cleared" (gradients add up), "frozen"
    (cleared before the step), "late" (each loss taken after the step), "sum" (nn.MSELoss
    with reduction="sum").
    """
    x, y = DATA[data]
    w, b = torch.zeros(()), torch.zeros(())
    gw_sum, gb_sum = torch.zeros(()), torch.zeros(())
    scale = 1.0 if variant == "sum" else 1.0 / x.numel()
    losses = []
    for _ in range(epochs + (variant == "late")):
        err = w * x + b - y
        losses.append(((err**2).sum() * scale).item())
        gw, gb = (2 * err * x).sum() * scale, (2 * err).sum() * scale
        gw_sum, gb_sum = (gw_sum + gw, gb_sum + gb) if variant == "never cleared" else (gw, gb)
        if variant != "frozen":
            w, b = w - lr * gw_sum, b - lr * gb_sum
    if variant == "late":
        return (*descend(data, lr, epochs)[:2], tuple(losses[1:]))
    return w.item(), b.item(), tuple(losses)


_gen = torch.Generator().manual_seed(10)
_X2 = torch.rand(6, 1, generator=_gen) * 4 - 2
DATA = {"chapter 1's x and y": (X, Y),
        "six points near y = -1.5x + 0.5": (_X2, -1.5 * _X2 + 0.5 + 0.1 * torch.randn(6, 1, generator=_gen))}
TUTORIAL = "chapter 1's x and y"
CONFIGS = [("six points near y = -1.5x + 0.5", 0.1, 12), (TUTORIAL, 0.05, 15), (TUTORIAL, 0.02, 1)]

MISTAKES = {
    "never cleared": "the gradients were never cleared: backward() adds to .grad, so every step followed the "
                     "sum of all the gradients so far. Call optimizer.zero_grad() in every epoch.",
    "frozen": "nothing was learned: the gradients were cleared before step() could use them. The order is "
              "zero_grad(), backward(), step().",
    "late": "each loss was measured after that epoch's step, one epoch late. Keep the loss computed before "
            "step(): losses.append(loss.item()) with the loss that backward() was called on.",
    "sum": "the loss is the sum of the squared errors, not their mean: use nn.MSELoss() as it comes "
           "(its reduction is \"mean\").",
}


def _wrong(data: str, lr: float, epochs: int, index: int) -> list[tuple[object, str]]:
    """The usual mistakes' values of one result (0 weight, 1 bias, 2 losses)."""
    wrong = [(list(descend(data, lr, epochs, v))[index], why) for v, why in MISTAKES.items()]
    if lr != DEFAULT_LR:
        wrong.append((list(descend(data, DEFAULT_LR, epochs))[index],
                      Mistake("lr-ignored",
                      "the lr argument was ignored (the step was always 0.01): pass lr=lr to torch.optim.SGD.")))
    return wrong


def _record_calls(monkeypatch) -> tuple[list[str], list[set[int]]]:
    """Log zero_grad, backward and step from now on, and the parameters each step() was given."""
    log: list[str] = []
    stepped: list[set[int]] = []
    sgd = torch.optim.SGD
    original_step = sgd.step

    @functools.wraps(original_step)
    def step(self, *args, **kwargs):
        log.append("step")
        stepped.append({id(p) for group in self.param_groups for p in group["params"]})
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(sgd, "step", step)
    monkeypatch.setattr(sgd, "zero_grad", logging(log, "zero_grad", sgd.zero_grad))
    monkeypatch.setattr(nn.Module, "zero_grad", logging(log, "zero_grad", nn.Module.zero_grad))
    log_backward(monkeypatch, log)
    return log, stepped


def _read(result: object, what: str):
    """(weight, bias, losses) as plain values, each None where it cannot be read; None if no 2-tuple came."""
    items = expect_tuple(result, 2, what, "(layer, losses)")
    if items is None:
        return None
    layer, losses = items
    weight = bias = None
    if isinstance(layer, nn.Linear) and is_tensor(layer.weight) and layer.bias is not None:
        if expect(facts(layer.weight).shape == (1, 1), f"the layer's weight from {what}",
                  str(facts(layer.weight).shape), "shape (1, 1), from nn.Linear(1, 1)",
                  Mistake("wrong-layer-size", "make the layer nn.Linear(1, 1): one input, one output.")):
            weight, bias = facts(layer.weight).value[0][0], facts(layer.bias).value[0]
    else:
        expect(False, f"the layer from {what}", show(layer), "an nn.Linear(1, 1), with a bias",
               Mistake("returned-not-layer",
               "return the layer itself (return layer, losses), not its weight or its output.")
               if is_tensor(layer) else Mistake("no-layer", "make the layer with nn.Linear(1, 1) and return it first."))
    if not isinstance(losses, list) or not all(is_float(v) for v in losses):
        odd = losses if not isinstance(losses, list) else next(v for v in losses if not is_float(v))
        expect(False, f"the losses from {what}", show(odd), "a list with one Python float per epoch",
               Mistake("losses-tensors", "append loss.item(), the loss as a Python number, not the loss tensor itself.")
               if is_tensor(odd) else Mistake("losses-not-list",
                                      "make losses a list and append each epoch's loss.item()."))
        losses = None
    return weight, bias, losses


_tutorial_runs: dict = {}


def _tutorial_run(fit_line, monkeypatch):
    """fit_line(x, y) on chapter 1's data, run once for the tests that read it, with its calls logged."""
    if fit_line not in _tutorial_runs:
        log, stepped = _record_calls(monkeypatch)
        result = call(fit_line, X.clone(), Y.clone(), describe=TUTORIAL_CALL)
        _tutorial_runs[fit_line] = (result, log, stepped)
    return _tutorial_runs[fit_line]


def _mistake(got: object, index: int, result: object, log: list[str], stepped: list[set[int]],
             data: str, lr: float, epochs: int) -> str | None:
    """Why one result is wrong: from the calls that were made first, then from the numbers."""
    mistake = order_mistake(log, "epoch", epochs)
    if mistake is not None:
        return mistake
    layer, losses = result if isinstance(result, tuple) and len(result) == 2 else (None, None)
    if stepped and isinstance(layer, nn.Module) and not {id(p) for p in layer.parameters()} & stepped[0]:
        return (Mistake("optimizer-other-params",
                "the optimizer updates other tensors than the parameters of the layer that came back: make the "
                "optimizer from layer.parameters() after the layer is made and set, and return that same layer."))
    mistake = diagnose(got, _wrong(data, lr, epochs, index))
    first = descend(data, lr, epochs)[2][:1]
    if mistake is None and isinstance(losses, list) and losses[:1] and is_float(losses[0]) and first \
            and not close(losses[0], first[0]):
        mistake = (Mistake("not-zeroed-start",
                   f"the first loss is {fmt(losses[0])}, but a layer at weight 0 and bias 0 starts at "
                   f"{fmt(first[0])}: nn.Linear starts from random numbers; set weight and bias to 0 before "
                   "training, inside torch.no_grad()."))
    return mistake


def test_tutorial_run_gives_chapter_1s_numbers(fit_line, monkeypatch):
    result, log, stepped = _tutorial_run(fit_line, monkeypatch)
    read = _read(result, TUTORIAL_CALL)
    if read is None:
        return
    weight, bias, losses = read
    if losses is not None and expect(len(losses) == DEFAULT_EPOCHS, f"len(losses) from {TUTORIAL_CALL}",
                                     str(len(losses)), "100", Mistake("loss-count",
                                                              "keep one loss per epoch, in range(epochs).")):
        for epoch in (10, 100):
            ok = close(losses[epoch - 1], BRIDGE[epoch])
            expect(ok, f"losses[{epoch - 1}], the loss of epoch {epoch}, from {TUTORIAL_CALL}",
                   fmt(losses[epoch - 1]), f"{fmt(BRIDGE[epoch])}, as in chapter 1",
                   None if ok else _mistake(losses, 2, result, log, stepped, TUTORIAL, DEFAULT_LR, DEFAULT_EPOCHS))
    for index, (name, got) in enumerate((("weight", weight), ("bias", bias))):
        if got is not None:
            ok = close(got, BRIDGE[name])
            expect(ok, f"the layer's {name} from {TUTORIAL_CALL}", fmt(got),
                   f"{fmt(BRIDGE[name])}, chapter 1's {'w' if name == 'weight' else 'b'}",
                   None if ok else _mistake(got, index, result, log, stepped, TUTORIAL, DEFAULT_LR, DEFAULT_EPOCHS))


def test_every_epoch_calls_zero_grad_backward_and_step_in_that_order(fit_line, monkeypatch):
    result, log, _ = _tutorial_run(fit_line, monkeypatch)
    if _read(result, TUTORIAL_CALL) is None:
        return
    mistake = order_mistake(log, "epoch", DEFAULT_EPOCHS)
    expect(mistake is None, f"the calls of zero_grad, backward and step during {TUTORIAL_CALL}",
           calls_read(log), "zero_grad, backward, step in each of the 100 epochs", mistake)


def test_layer_starts_from_weight_0_and_bias_0(fit_line):
    what = "fit_line(x, y, epochs=0) on chapter 1's data, the layer before any training"
    read = _read(call(fit_line, X.clone(), Y.clone(), DEFAULT_LR, 0, describe=what), what)
    if read is None:
        return
    weight, bias, losses = read
    if weight is not None:
        expect(close([weight, bias], [0.0, 0.0]), f"[weight, bias] of the layer from {what}", fmt([weight, bias]),
               "[0.0, 0.0]", Mistake("not-zeroed-start",
                             "nn.Linear starts from random numbers: set weight and bias to 0 before training, "
                             "inside torch.no_grad(): layer.weight.zero_(), layer.bias.zero_()."))
    if losses is not None:
        expect(losses == [], f"the losses from {what}", show(losses), "[], no epoch, no loss",
               Mistake("wrong-epoch-count", "the loop must run exactly epochs times: for _ in range(epochs)."))
    what = "fit_line(x, y, epochs=1) on chapter 1's data"
    read = _read(call(fit_line, X.clone(), Y.clone(), DEFAULT_LR, 1, describe=what), what)
    if read is not None and read[2] is not None and read[2]:
        expect(close(read[2][0], START_LOSS), f"losses[0] from {what}", fmt(read[2][0]),
               "30.0, the loss of weight 0 and bias 0: (4 + 16 + 36 + 64) / 4",
               Mistake("not-zeroed-start",
               "the first loss is not that of a layer at 0: set weight and bias to 0 before the first epoch."))


def test_other_learning_rates_and_epoch_counts(fit_line, monkeypatch):
    for data, lr, epochs in CONFIGS:
        x, y = DATA[data]
        what = f"fit_line(x, y, lr={lr}, epochs={epochs}) on {data}"
        log, stepped = _record_calls(monkeypatch)
        inputs = (x.clone(), y.clone())
        result = call(fit_line, *inputs, lr, epochs, describe=what)
        read = _read(result, what)
        if read is None:
            return
        weight, bias, losses = read
        ok = expect([values(t) for t in inputs] == [values(x), values(y)], f"x and y after {what}",
                    "your code changed them", "unchanged", Mistake("changes-inputs",
                                                           "fit_line must leave the data as it was given."))
        if losses is not None:
            ok = expect(len(losses) == epochs, f"len(losses) from {what}", str(len(losses)), str(epochs),
                        Mistake("epochs-ignored", "the epochs argument was ignored: loop `for _ in range(epochs)`.")
                        if len(losses) == DEFAULT_EPOCHS else None) and ok
        expected = descend(data, lr, epochs)
        got = [weight, bias, losses]
        if ok and None not in got and not close(got, [expected[0], expected[1], list(expected[2])]):
            ok = expect(False, what, f"weight = {fmt(weight)}, bias = {fmt(bias)}, losses = {fmt(losses)}",
                        f"weight = {fmt(expected[0])}, bias = {fmt(expected[1])}, losses = {fmt(list(expected[2]))}",
                        _mistake(losses, 2, result, log, stepped, data, lr, epochs)
                        or _mistake(weight, 0, result, log, stepped, data, lr, epochs))
        if not ok or None in got:
            return  # one failing run is enough to read
        monkeypatch.undo()
