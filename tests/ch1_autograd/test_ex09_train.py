"""Exercise 09: train(x, y, lr, epochs) fits y = w * x + b by gradient descent, with the learner's own functions."""

import torch
from support import (
    call, close, diagnose, expect, expect_scalar, expect_tensor, expect_tuple, floats, fmt,
    is_float, show, values,
)

# The tutorial: y = 2x on four points, lr = 0.01, 100 epochs, from w = b = 0.
X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
TUTORIAL = {"w": 1.846347, "b": 0.451757, "loss at epoch 10": 1.175107, "loss at epoch 100": 0.034290}
DEFAULT_LR, DEFAULT_EPOCHS = 0.01, 100
TUTORIAL_CALL = "train(x, y) on the tutorial's data"


def descend(x: torch.Tensor, y: torch.Tensor, lr: float, epochs: int, clear: bool = True,
            frozen: bool = False) -> tuple[float, float, list[float]]:
    """Gradient descent on the line, with the gradients of the MSE written out by hand (float32).

    The variants give what the usual mistakes give: `clear=False` never zeroes the
    gradients (they add up), `frozen=True` zeroes them before the update uses them.
    """
    w, b = torch.zeros(()), torch.zeros(())
    gw_sum, gb_sum = torch.zeros(()), torch.zeros(())
    losses = []
    for _ in range(epochs):
        err = w * x + b - y
        losses.append((err**2).mean().item())
        gw, gb = (2 * err * x).sum() / x.numel(), (2 * err).sum() / x.numel()
        gw_sum, gb_sum = (gw_sum + gw, gb_sum + gb) if not clear else (gw, gb)
        if not frozen:
            w, b = w - lr * gw_sum, b - lr * gb_sum
    return w.item(), b.item(), losses


EXPECTED = descend(X, Y, DEFAULT_LR, DEFAULT_EPOCHS)

_gen = torch.Generator().manual_seed(9)
_X2 = torch.rand(6, 1, generator=_gen) * 4 - 2
_Y2 = -1.5 * _X2 + 0.5 + 0.1 * torch.randn(6, 1, generator=_gen)
# (how the data reads, x, y, lr, epochs)
CONFIGS = [
    ("the tutorial's x and y", X, Y, 0.05, 15),
    ("six points near y = -1.5x + 0.5", _X2, _Y2, 0.1, 12),
    ("the tutorial's x and y", X, Y, 0.02, 1),
    ("the tutorial's x and y", X, Y, 0.03, 0),
]
CONFIG_EXPECTED = [descend(x, y, lr, epochs) for _, x, y, lr, epochs in CONFIGS]
LR_IGNORED = [descend(x, y, DEFAULT_LR, epochs) for _, x, y, _, epochs in CONFIGS]


def _mistakes(x, y, lr: float, epochs: int) -> dict[str, tuple[float, float, list[float]]]:
    return {
        "never cleared": descend(x, y, lr, epochs, clear=False),
        "frozen": descend(x, y, lr, epochs, frozen=True),
        "after the update": (*descend(x, y, lr, epochs)[:2], descend(x, y, lr, epochs + 1)[2][1:]),
    }


MISTAKES = _mistakes(X, Y, DEFAULT_LR, DEFAULT_EPOCHS)
CONFIG_MISTAKES = [_mistakes(x, y, lr, epochs) for _, x, y, lr, epochs in CONFIGS]

NEVER_CLEARED = ("the gradients were never cleared: backward() adds to .grad, so every epoch "
                 "stepped with the sum of all earlier gradients. Call zero_grad([w, b]) after "
                 "sgd_step, in every epoch.")
FROZEN = ("nothing was learned: the gradients were cleared before sgd_step could use them. "
          "The order is backward, sgd_step, then zero_grad.")
AFTER_UPDATE = ("each loss was measured after that epoch's update, one epoch late. Record the "
                "loss computed at the start of the epoch, before sgd_step: losses.append(loss.item()).")


def _param_mistake(name: str, got: float, mistakes: dict, expected: tuple, losses: list[float] | None) -> str | None:
    index = 0 if name == "w" else 1
    if close(got, mistakes["never cleared"][index]):
        return NEVER_CLEARED
    if close(got, 0.0):
        if losses is not None and close(losses, expected[2]):
            return (f"the losses fell as they should, but the {name} that came back is still 0.0: "
                    "return the tensors that were trained, not new ones.")
        return FROZEN
    if close(got, expected[1 - index]):
        return "w and b are swapped, or the same tensor twice: return (w, b, losses) in that order."
    return None


def _losses_mistake(got: list[float], mistakes: dict) -> str | None:
    return diagnose(got, [
        (mistakes["never cleared"][2], NEVER_CLEARED),
        (mistakes["frozen"][2], FROZEN),
        (mistakes["after the update"][2], AFTER_UPDATE),
    ])


def _read(result, what: str):
    """(w, b, losses) read out, each None where it is of the wrong kind; None if result is no 3-tuple."""
    items = expect_tuple(result, 3, what, "(w, b, losses)")
    if items is None:
        return None
    w = expect_scalar(items[0], f"w from {what}")
    b = expect_scalar(items[1], f"b from {what}")
    losses = items[2]
    if not isinstance(losses, list):
        expect(False, f"losses from {what}", show(losses), "a list of Python floats, one per epoch",
               "make losses a list (losses = []) and append each epoch's loss.item().")
        losses = None
    elif not all(is_float(v) for v in losses):
        odd = next(v for v in losses if not is_float(v))
        expect(False, f"the losses from {what}", f"{len(losses)} values, among them {show(odd)}",
               "a Python float per epoch",
               "the losses must be plain numbers: append loss.item(), not the loss tensor itself."
               if isinstance(odd, torch.Tensor) else "append loss.item() for each epoch.")
        losses = None
    return w, b, losses


def _record(record_property, result: object, expected: list[float]) -> None:
    """Both loss curves for the report, when the learner's losses can be read as numbers."""
    got = floats(result[2]) if isinstance(result, tuple) and len(result) == 3 else None
    if got is not None:
        record_property("losses", got)
        record_property("expected_losses", expected)


_tutorial_runs: dict = {}


def _tutorial_run(train):
    """train(x, y) on the tutorial's data, run once for the two tests that read it."""
    if train not in _tutorial_runs:
        _tutorial_runs[train] = call(train, X.clone(), Y.clone(), describe=TUTORIAL_CALL)
    return _tutorial_runs[train]


def test_tutorial_run_gives_the_tutorial_numbers(train, record_property):
    what = TUTORIAL_CALL
    result = _tutorial_run(train)
    read = _read(result, what)
    if read is None:
        return
    w, b, losses = read
    _record(record_property, result, EXPECTED[2])
    if losses is not None:
        if expect(len(losses) == DEFAULT_EPOCHS, f"len(losses) from {what}", str(len(losses)), "100",
                  "losses has one value per epoch, and range(epochs) runs exactly epochs times."):
            for epoch in (10, 100):
                got, want = losses[epoch - 1], TUTORIAL[f"loss at epoch {epoch}"]
                expect(close(got, want), f"losses[{epoch - 1}], the loss at epoch {epoch}, from {what}",
                       fmt(got), fmt(want), _losses_mistake(losses, MISTAKES))
    for name, t in (("w", w), ("b", b)):
        if t is not None:
            expect(close(t.value, TUTORIAL[name]), f"{name} from {what}", fmt(t.value), fmt(TUTORIAL[name]),
                   _param_mistake(name, t.value, MISTAKES, EXPECTED, losses))


def test_loss_curve_has_one_float_per_epoch_taken_before_each_update(train, record_property):
    what = TUTORIAL_CALL
    result = _tutorial_run(train)
    read = _read(result, what)
    if read is None:
        return
    losses = read[2]
    _record(record_property, result, EXPECTED[2])
    if losses is None:
        return
    expected = EXPECTED[2]
    if not expect(len(losses) == len(expected), f"len(losses) from {what}", str(len(losses)), str(len(expected)),
                  "losses has one value per epoch, and range(epochs) runs exactly epochs times."):
        return
    first = next((i for i, (g, e) in enumerate(zip(losses, expected)) if not close(g, e)), None)
    if first is not None:
        expect(False, f"losses[{first}], the loss of epoch {first + 1}, from {what}",
               fmt(losses[first]), f"{fmt(expected[first])} (losses[{first}] is the first one that differs)",
               _losses_mistake(losses, MISTAKES))


def test_other_learning_rates_and_epoch_counts(train):
    for (label, x, y, lr, epochs), expected, lr_ignored, mistakes in zip(
            CONFIGS, CONFIG_EXPECTED, LR_IGNORED, CONFIG_MISTAKES):
        what = f"train(x, y, lr={lr}, epochs={epochs}) on {label}"
        inputs = (x.clone(), y.clone())
        read = _read(call(train, *inputs, lr, epochs, describe=what), what)
        if read is None:
            return
        w, b, losses = read
        ok = expect([values(t) for t in inputs] == [values(x), values(y)], f"x and y after {what}",
                    "your code changed them", "unchanged",
                    "train changed x or y in place; the data must stay as it was given.")
        if losses is not None:
            mistake = ("the epochs argument was ignored: loop `for _ in range(epochs)`."
                       if len(losses) == DEFAULT_EPOCHS != epochs else None)
            ok = expect(len(losses) == epochs, f"len(losses) from {what}", str(len(losses)), str(epochs),
                        mistake) and ok
        got = [w.value if w is not None else None, b.value if b is not None else None, losses]
        if ok and not close(got, list(expected)):
            mistake = diagnose(got, [
                (list(lr_ignored), "the lr argument was ignored (the step was always 0.01): pass lr to sgd_step."),
                (list(mistakes["never cleared"]), NEVER_CLEARED),
                (list(mistakes["frozen"]), FROZEN),
                (list(mistakes["after the update"]), AFTER_UPDATE),
            ])
            ok = expect(False, what, f"w = {fmt(got[0])}, b = {fmt(got[1])}, losses = {fmt(got[2])}",
                        f"w = {fmt(expected[0])}, b = {fmt(expected[1])}, losses = {fmt(expected[2])}",
                        mistake)
        if not ok or w is None or b is None:
            return  # one failing run is enough to read


def test_returns_w_and_b_as_separate_leaves_that_require_grad(train):
    what = "train(x, y, epochs=3)"
    result = call(train, X.clone(), Y.clone(), DEFAULT_LR, 3, describe=what)
    items = expect_tuple(result, 3, what, "(w, b, losses)")
    if items is None:
        return
    w, b = items[0], items[1]
    expect(w is not b, f"w and b from {what}", "the same tensor twice", "two separate tensors",
           "return the two parameters from init_params(): return w, b, losses.")
    for name, item in (("w", w), ("b", b)):
        t = expect_tensor(item, f"{name} from {what}")
        if t is None:
            continue
        expect(t.requires_grad and t.is_leaf, f"{name} from {what}", str(t),
               "a leaf tensor that requires grad (the parameter from init_params(), updated in place)",
               "the parameter was replaced by a computed or detached tensor. Update it in place with "
               "sgd_step, and return that same tensor.")


def test_uses_your_functions_from_exercises_04_to_08(train, spy, learner_module):
    names = ["init_params", "predict", "mse_loss", "sgd_step", "zero_grad"]
    calls = {name: spy(learner_module(name), name) for name in names}
    epochs = 3
    call(train, X.clone(), Y.clone(), DEFAULT_LR, epochs, describe=f"train(x, y, epochs={epochs})")
    for name in names:
        least = 1 if name == "init_params" else epochs
        expect(calls[name].count >= least, f"calls of your {name} during train(x, y, epochs={epochs})",
               str(calls[name].count), f"at least {least}" + ("" if least == 1 else ", one per epoch"),
               f"train must be built from your own functions: call {name} "
               + ("once, to start." if least == 1 else "in every epoch."))
