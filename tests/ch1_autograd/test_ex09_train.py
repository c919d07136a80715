"""Exercise 09: train(x, y, lr, epochs) fits y = w * x + b by gradient descent, with the learner's own functions."""

from collections import Counter
from inspect import signature

import torch
from autograd_support import OURS, probe
from diagnosis_support import earlier_fault, fresh, holds, listed, loop, times, told
from support import (
    Mistake, Run, call, close, expect, expect_scalar, expect_tensor, expect_tuple, facts, floats, fmt, is_float,
    is_tensor, show, values,
)

# The tutorial: y = 2x on four points, lr = 0.01, 100 epochs, from w = b = 0.
X = torch.tensor([[1.0], [2.0], [3.0], [4.0]])
Y = torch.tensor([[2.0], [4.0], [6.0], [8.0]])
TUTORIAL = {"w": 1.846347, "b": 0.451757, "loss at epoch 10": 1.175107, "loss at epoch 100": 0.034290}
DEFAULT_LR, DEFAULT_EPOCHS = 0.01, 100
TUTORIAL_CALL = "train(x, y) on the tutorial's data"


def descend(x: torch.Tensor, y: torch.Tensor, lr: float, epochs: int,
            clear: bool = True) -> tuple[float, float, list[float]]:
    """Gradient descent on the line, with the gradients of the MSE written out by hand (float32).

    `clear=False` gives what never zeroing the gradients gives: they add up.
    """
    w, b = torch.zeros(()), torch.zeros(())
    gw_sum, gb_sum = torch.zeros(()), torch.zeros(())
    losses = []
    for _ in range(epochs):
        err = w * x + b - y
        losses.append((err**2).mean().item())
        gw, gb = (2 * err * x).sum() / x.numel(), (2 * err).sum() / x.numel()
        gw_sum, gb_sum = (gw_sum + gw, gb_sum + gb) if not clear else (gw, gb)
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


def _mistakes(x, y, lr: float, epochs: int, expected: tuple) -> dict[str, tuple[float, float, list[float]]]:
    """What the mistakes that only numbers tell apart give, besides the `expected` run."""
    return {
        "never cleared": descend(x, y, lr, epochs, clear=False),
        "after the update": (*expected[:2], descend(x, y, lr, epochs + 1)[2][1:]),
    }


MISTAKES = _mistakes(X, Y, DEFAULT_LR, DEFAULT_EPOCHS, EXPECTED)
CONFIG_MISTAKES = [_mistakes(x, y, lr, epochs, expected)
                   for (_, x, y, lr, epochs), expected in zip(CONFIGS, CONFIG_EXPECTED)]

NEVER_CLEARED = ("the gradients were never cleared: backward() adds to .grad, so every epoch "
                 "stepped with the sum of all earlier gradients. Call zero_grad([w, b]) after "
                 "sgd_step, in every epoch.")  # preceded by what train's calls show
AFTER_UPDATE = (Mistake("loss-after-update",
                "each loss was measured after that epoch's update, one epoch late. Record the "
                "loss computed at the start of the epoch, before sgd_step: losses.append(loss.item())."))

# --- What train's own code did, from the calls it made -------------------------------

PIECES = ("init_params", "predict", "mse_loss", "sgd_step", "zero_grad")
LESSON = ["predict", "mse_loss", "backward", "sgd_step", "zero_grad"]


def _defaults_mistake(train) -> str | None:
    """What train(x, y) runs with when the def line's defaults are not the stub's."""
    try:
        params = signature(train).parameters
    except (TypeError, ValueError):
        return None
    defaults = {name: p.default for name, p in params.items() if p.default is not p.empty}
    if defaults == {"lr": DEFAULT_LR, "epochs": DEFAULT_EPOCHS}:
        return None
    given = ", ".join(f"{name}={value!r}" for name, value in defaults.items()) or "no defaults"
    return (Mistake("changed-signature",
            f"your def line gives train {given}, and train(x, y) runs with that; keep the "
            f"stub's: def train(x, y, lr={DEFAULT_LR}, epochs={DEFAULT_EPOCHS})."))


def _order_mistake(run: Run, epochs: int, w: torch.Tensor | None) -> str | None:
    """A step of the lesson's epoch that train missed, repeated or took out of order."""
    count = Counter(run.names())
    calls = told(run.names(), epochs)
    # A step is missing only from an epoch that ended: a run that raised may have stopped first.
    ended = run.error is None or count["mse_loss"] > 1
    if ended and not count["init_params"]:
        return (Mistake("no-init-params",
                f"{calls}: init_params was never called, so training did not start from its "
                "w = b = 0. Start with w, b = init_params()."))
    if count["init_params"] > 1:
        return (Mistake("init-params-every-epoch",
                f"{calls}: init_params ran {times(count['init_params'])}, so every epoch started "
                "again from w = b = 0. Call init_params once, before the loop."))
    if ended and count["sgd_step"] and not count["backward"]:
        state = "stayed None" if is_tensor(w) and w.is_leaf and w.grad is None else "was never filled"
        return (Mistake("no-backward",
                f"{calls}: loss.backward() was never called, so w.grad {state} and sgd_step had "
                "nothing to apply. Call loss.backward() after mse_loss, in every epoch."))
    if count["backward"] > count["mse_loss"] > 0:
        return (Mistake("backward-many-times",
                f"{calls}: loss.backward() ran {times(count['backward'])} for "
                f"{count['mse_loss']} losses, and each call adds to .grad: call it once per epoch."))
    if 0 < count["predict"] < count["mse_loss"]:
        return (Mistake("stale-predictions",
                f"{calls}: predict ran {times(count['predict'])} but mse_loss "
                f"{times(count['mse_loss'])}, so the losses came from old predictions, made with "
                "the w and b of that moment. Call predict(x, w, b) in every epoch, before mse_loss."))
    if ended and epochs and not count["sgd_step"]:
        return (Mistake("no-sgd-step",
                f"{calls}: sgd_step was never called. Update w and b with your sgd_step, "
                "sgd_step([w, b], lr), after loss.backward()."))
    # Counts compared only in a run that ended: one that raised stopped inside an epoch.
    if run.error is None and 0 < count["backward"] < count["sgd_step"]:
        return (Mistake("backward-missing-epochs",
                f"{calls}: loss.backward() ran {times(count['backward'])} for "
                f"{count['sgd_step']} updates: call it in every epoch, before sgd_step."))
    if run.error is None and 0 < count["sgd_step"] < count["backward"]:
        return (Mistake("sgd-step-missing-epochs",
                f"{calls}: sgd_step ran {times(count['sgd_step'])} for {count['backward']} "
                "backward() calls: update w and b in every epoch, after loss.backward()."))
    names = run.names()
    for i, name in enumerate(names):
        last = next((n for n in reversed(names[:i]) if n in ("backward", "zero_grad")), None)
        if name == "sgd_step" and last == "zero_grad":
            learned = ", so nothing was learned" if is_tensor(w) and close(facts(w).value, 0.0) else ""
            return (Mistake("cleared-before-step",
                    f"{calls}: the gradients were cleared before sgd_step could use them{learned}. "
                    "The order is loss.backward(), sgd_step, then zero_grad."))
    return None


def _arguments_mistake(run: Run, lr: float | None, w: torch.Tensor | None, b: torch.Tensor | None,
                       x: torch.Tensor, y: torch.Tensor) -> str | None:
    """An lr, parameters or data that train passed on wrongly; `lr` is None when train was
    called without one."""
    predictions = [step.result for step in run.of("predict")]

    def named(given: object) -> str:
        leaves = [(name, t) for name, t in (("w", w), ("b", b)) if is_tensor(t) and t.is_leaf]
        for name, value in leaves + [(f"{name}.grad", t.grad) for name, t in leaves]:
            if value is not None and given is value:
                return name
        if any(given is made for made in predictions):
            return "the prediction"
        return "x" if holds(given, x) else "y" if holds(given, y) else show(given)

    for step in run.of("sgd_step"):
        given = step.arg(1, "lr")
        if isinstance(given, (int, float)) and given != (DEFAULT_LR if lr is None else lr):
            if lr is None:
                return (Mistake("default-lr-ignored",
                        f"train(x, y), with no lr, must train with lr={DEFAULT_LR}, but it passed "
                        f"lr={fmt(given)} to sgd_step: pass on train's own lr, sgd_step([w, b], lr)."))
            return (Mistake("lr-ignored",
                    f"the lr argument was ignored: train was given lr={fmt(lr)} but passed "
                    f"lr={fmt(given)} to sgd_step. Pass it on: sgd_step([w, b], lr)."))
    for step in run.of("sgd_step") + run.of("zero_grad"):
        params = step.arg(0, "params")
        if is_tensor(w) and isinstance(params, (list, tuple)) and not (
                any(p is w for p in params) and any(p is b for p in params)):
            lr_text = ", lr" if step.name == "sgd_step" else ""
            return (Mistake("wrong-params-to-step",
                    f"{step.name} was given [{', '.join(map(named, params))}], not the w and b that "
                    f"init_params made: pass those, {step.name}([w, b]{lr_text})."))
    for step in run.of("predict"):
        given = [step.arg(0, "x"), step.arg(1, "w"), step.arg(2, "b")]
        if not holds(given[0], x) or is_tensor(w) and not (given[1] is w and given[2] is b):
            return (Mistake("wrong-predict-args",
                    f"predict was called as predict({', '.join(map(named, given))}): it takes "
                    "predict(x, w, b), with the w and b that init_params made."))
    for step in run.of("mse_loss"):
        given = [step.arg(0, "y_pred"), step.arg(1, "y")]
        if not any(holds(g, y) for g in given):
            return (Mistake("wrong-loss-args",
                    f"mse_loss was called as mse_loss({', '.join(map(named, given))}): the loss "
                    "compares the prediction with y, mse_loss(predict(x, w, b), y)."))
    return None


def _returned_mistake(result: object, w: torch.Tensor | None, b: torch.Tensor | None) -> str | None:
    """Tensors that came back other than the w and b that init_params made."""
    if not (is_tensor(w) and isinstance(result, tuple) and len(result) == 3):
        return None
    if result[0] is b and result[1] is w:
        return Mistake("swapped-w-b", "w and b are swapped: return (w, b, losses) in that order.")
    if result[0] is result[1]:
        which = "w" if result[0] is w else "b" if result[0] is b else "one tensor"
        return Mistake("same-tensor-twice",
               f"{which} came back as both w and b, the same tensor twice: return (w, b, losses).")
    other = [name for name, got, made in (("w", result[0], w), ("b", result[1], b)) if got is not made]
    if other:
        verb = "is not the tensor" if len(other) == 1 else "are not the tensors"
        return (Mistake("other-tensors",
                f"the {' and '.join(other)} that came back {verb} that init_params made and sgd_step "
                "trained: return those same tensors."))
    return None


def _train_mistake(train, run: Run, x: torch.Tensor, y: torch.Tensor, lr: float | None, epochs: int) -> str | None:
    """The mistake that train's def line and calls single out, if they do, on the data x, y;
    `lr` is None when train was called without one (its default, 0.01, applies)."""
    made = run.of("init_params")
    first = made[0].result if made else None
    w, b = first if isinstance(first, tuple) and len(first) == 2 else (None, None)
    return ((lr is None and _defaults_mistake(train)) or _order_mistake(run, epochs, w)
            or _arguments_mistake(run, lr, w, b, x, y) or _returned_mistake(run.result, w, b))


# --- Or an earlier exercise's fault: train again with the tests' own pieces -----------


def _numbers(result: object) -> list | None:
    """[w, b, losses] as plain numbers when `result` has the lesson's form; None otherwise."""
    if not (isinstance(result, tuple) and len(result) == 3):
        return None
    w, b, losses = result
    if not (is_tensor(w) and is_tensor(b) and isinstance(losses, list) and all(is_float(v) for v in losses)):
        return None
    fw, fb = facts(w), facts(b)
    if not (fw.shape == fb.shape == () and fw.dtype == fb.dtype == "float32"):
        return None
    return [fw.value, fb.value, losses]


def _right(run: Run, expected: tuple) -> bool:
    got = _numbers(run.result) if run.error is None else None
    return got is not None and close(got, list(expected))


def _numbers_mistake(run: Run, epochs: int, mistakes: dict) -> str | None:
    """What the numbers tell where no other common mistake gives the same ones; else what the
    calls show, when they differ from the lesson's order."""
    got = _numbers(run.result)
    if got is not None and close(got[2], mistakes["after the update"][2]):
        return AFTER_UPDATE
    if got is not None and close(got, list(mistakes["never cleared"])):
        zeroed, stepped = len(run.of("zero_grad")), len(run.of("sgd_step"))
        if zeroed < stepped - 1:
            ran = f"zero_grad ran {times(zeroed)} for {stepped} updates" if zeroed else "zero_grad was never called"
            return Mistake("never-cleared", f"{told(run.names(), epochs)}: {ran}, so {NEVER_CLEARED}")
        return (Mistake("never-cleared",
                "these are the numbers of gradients that were never cleared: every epoch stepped "
                "with the sum of all earlier gradients, although zero_grad ran in every epoch."))
    found = loop(run.names(), epochs) if epochs > 1 else None
    if found and not any(found[1] == LESSON[i:] + LESSON[:i] for i in range(len(LESSON))):
        return Mistake("epoch-order", f"{told(run.names(), epochs)}, where the lesson's epoch is {listed(LESSON)}.")
    return None


def _diagnosis(train, record, run: Run, args: tuple, lr: float | None, epochs: int, expected: tuple,
               mistakes: dict) -> tuple[str | None, bool]:
    """(why train's run went wrong, whether an earlier exercise is at fault): what train's calls
    single out first, then whether it is right with the tests' own pieces, then the numbers
    that train gives with those pieces (its own, whatever the learner's pieces do)."""
    own = _train_mistake(train, run, args[0], args[1], lr, epochs)
    if own:
        return own, False
    alone = record(train, *fresh(args), describe="train", watch=PIECES, using=OURS)
    if not _right(alone, expected):
        return _numbers_mistake(alone, epochs, mistakes), False
    # Right with all of OURS, as the run above showed: earlier_fault need not run that again.
    earlier = earlier_fault(
        "train", lambda using: using is OURS or _right(record(train, *fresh(args), describe="train",
                                                              using=using), expected),
        OURS, probe)
    return earlier, earlier is not None


def _length_mistake(run: Run, count: int, epochs: int) -> str | None:
    rounds = len(run.of("sgd_step"))
    if rounds == count != epochs:
        return (Mistake("wrong-epoch-count",
                f"your loop ran {rounds} times for {epochs} epochs: `for _ in range(epochs)` runs "
                "exactly epochs times."))
    if rounds == epochs != count:
        return (Mistake("loss-count",
                f"your loop ran {epochs} times, as it should, but losses got {count} values: append "
                "one loss per epoch."))
    return None


def _shown(result: object) -> str:
    got = _numbers(result)
    if got is None:
        return show(result)
    return f"w = {fmt(got[0])}, b = {fmt(got[1])}, losses = {fmt(got[2])}"


def _shown_expected(expected: tuple) -> str:
    return f"w = {fmt(expected[0])}, b = {fmt(expected[1])}, losses = {fmt(expected[2])}"


def _raised(run: Run, why: str | None, earlier: bool, what: str) -> None:
    """The failure of a run that raised: why, when that is known, then the exception itself,
    unless the fault is an earlier exercise's (train's own line would mislead)."""
    if why:
        expect(False, what, f"{type(run.error).__name__}: {run.error}", "(w, b, losses), trained", why)
    if not earlier:
        run.reraise(what)


def _read(result, what: str):
    """(w, b, losses) read out, each None where it cannot be read; None if result is no 3-tuple.

    Losses of the wrong kind fail a check here; they are still read as numbers when they can
    be (0-dim tensors, a tuple), so that their values are compared too."""
    items = expect_tuple(result, 3, what, "(w, b, losses)")
    if items is None:
        return None
    w = expect_scalar(items[0], f"w from {what}")
    b = expect_scalar(items[1], f"b from {what}")
    losses = items[2]
    if not isinstance(losses, list):
        expect(False, f"losses from {what}", show(losses), "a list of Python floats, one per epoch",
               Mistake("losses-tensor",
               "losses came back as one tensor; keep a list of Python floats instead: losses = [], "
               "then losses.append(loss.item()) in every epoch.") if is_tensor(losses) else
               Mistake("losses-not-list", "make losses a list (losses = []) and append each epoch's loss.item()."))
    elif not all(is_float(v) for v in losses):
        odd = next(v for v in losses if not is_float(v))
        count = f"{len(losses)} value" + ("s" if len(losses) != 1 else "")
        expect(False, f"the losses from {what}", f"{count}, among them {show(odd)}",
               "a Python float per epoch",
               Mistake("losses-tensors",
               "the losses must be plain numbers: append loss.item(), not the loss tensor itself.")
               if isinstance(odd, torch.Tensor) else Mistake("losses-not-floats", "append loss.item() for each epoch."))
    return w, b, floats(losses)


def _record(record_property, result: object, expected: list[float]) -> None:
    """Both loss curves for the report, when the learner's losses can be read as numbers."""
    got = floats(result[2]) if isinstance(result, tuple) and len(result) == 3 else None
    if got is not None:
        record_property("losses", got)
        record_property("expected_losses", expected)


_tutorial_runs: dict = {}


def _tutorial(train, record) -> tuple[Run, str | None, bool]:
    """train(x, y) on the tutorial's data, run once for the tests that read it, with why it
    went wrong and whether an earlier exercise is at fault."""
    if train not in _tutorial_runs:
        run = record(train, X.clone(), Y.clone(), describe=TUTORIAL_CALL, watch=PIECES)
        why, earlier = (None, False) if _right(run, EXPECTED) else _diagnosis(
            train, record, run, (X, Y), None, DEFAULT_EPOCHS, EXPECTED, MISTAKES)
        _tutorial_runs[train] = run, why, earlier
    return _tutorial_runs[train]


def _tutorial_read(train, record, record_property):
    """The tutorial run read out, with why it went wrong; None after a failure that says it all."""
    run, why, earlier = _tutorial(train, record)
    if run.error is not None:
        return _raised(run, why, earlier, TUTORIAL_CALL)
    if earlier:
        expect(False, TUTORIAL_CALL, _shown(run.result), _shown_expected(EXPECTED), why)
        return None
    read = _read(run.result, TUTORIAL_CALL)
    if read is not None:
        _record(record_property, run.result, EXPECTED[2])
    return None if read is None else (run, why, *read)


def test_tutorial_run_gives_the_tutorial_numbers(train, record, record_property):
    what = TUTORIAL_CALL
    read = _tutorial_read(train, record, record_property)
    if read is None:
        return
    run, why, w, b, losses = read
    if losses is not None:
        if expect(len(losses) == DEFAULT_EPOCHS, f"len(losses) from {what}", str(len(losses)), "100",
                  _defaults_mistake(train) or _length_mistake(run, len(losses), DEFAULT_EPOCHS)):
            for epoch in (10, 100):
                got, want = losses[epoch - 1], TUTORIAL[f"loss at epoch {epoch}"]
                expect(close(got, want), f"losses[{epoch - 1}], the loss at epoch {epoch}, from {what}",
                       fmt(got), fmt(want), why)
    for name, t in (("w", w), ("b", b)):
        if t is not None:
            expect(close(t.value, TUTORIAL[name]), f"{name} from {what}", fmt(t.value), fmt(TUTORIAL[name]), why)


def test_loss_curve_has_one_float_per_epoch_taken_before_each_update(train, record, record_property):
    what = TUTORIAL_CALL
    read = _tutorial_read(train, record, record_property)
    if read is None or read[4] is None:
        return
    run, why, _, _, losses = read
    expected = EXPECTED[2]
    if not expect(len(losses) == len(expected), f"len(losses) from {what}", str(len(losses)), str(len(expected)),
                  _defaults_mistake(train) or _length_mistake(run, len(losses), DEFAULT_EPOCHS)):
        return
    first = next((i for i, (g, e) in enumerate(zip(losses, expected)) if not close(g, e)), None)
    if first is not None:
        expect(False, f"losses[{first}], the loss of epoch {first + 1}, from {what}",
               fmt(losses[first]), f"{fmt(expected[first])} (losses[{first}] is the first one that differs)", why)


def test_other_learning_rates_and_epoch_counts(train, record):
    for (label, x, y, lr, epochs), expected, mistakes in zip(CONFIGS, CONFIG_EXPECTED, CONFIG_MISTAKES):
        what = f"train(x, y, lr={lr}, epochs={epochs}) on {label}"
        inputs = (x.clone(), y.clone())
        run = record(train, *inputs, lr, epochs, describe=what, watch=PIECES)
        untouched = [values(t) for t in inputs] == [values(x), values(y)]
        if untouched and _right(run, expected):
            continue
        why, earlier = _diagnosis(train, record, run, (x, y, lr, epochs), lr, epochs, expected, mistakes)
        if run.error is not None:
            return _raised(run, why, earlier, what)
        if earlier:
            expect(False, what, _shown(run.result), _shown_expected(expected), why)
            return
        read = _read(run.result, what)
        if read is None:
            return
        w, b, losses = read
        ok = expect(untouched, f"x and y after {what}", "your code changed them", "unchanged",
                    Mistake("changes-inputs", "train changed x or y in place; the data must stay as it was given."))
        if losses is not None:
            mistake = (Mistake("epochs-ignored", "the epochs argument was ignored: loop `for _ in range(epochs)`.")
                       if len(losses) == DEFAULT_EPOCHS != epochs else _length_mistake(run, len(losses), epochs))
            ok = expect(len(losses) == epochs, f"len(losses) from {what}", str(len(losses)), str(epochs),
                        mistake) and ok
        got = [w.value if w is not None else None, b.value if b is not None else None, losses]
        ok = ok and _numbers(run.result) is not None  # otherwise _read said what is of the wrong kind
        if ok and not close(got, list(expected)):
            shown = f"w = {fmt(got[0])}, b = {fmt(got[1])}, losses = " + (
                fmt(losses) if losses is not None else show(run.result[2]))
            ok = expect(False, what, shown, _shown_expected(expected), why)
        if not ok or w is None or b is None:
            return  # one failing run is enough to read


def test_returns_w_and_b_as_separate_leaves_that_require_grad(train, record):
    what = "train(x, y, epochs=3)"
    run = record(train, X.clone(), Y.clone(), DEFAULT_LR, 3, describe=what, watch=["init_params"])
    if run.error is not None:
        run.reraise(what)
    items = expect_tuple(run.result, 3, what, "(w, b, losses)")
    if items is None:
        return
    w, b = items[0], items[1]
    expect(w is not b, f"w and b from {what}", "the same tensor twice", "two separate tensors",
           Mistake("same-tensor-twice", "return the two parameters from init_params(): return w, b, losses."))
    made = run.of("init_params")
    made = made[0].result if made and isinstance(made[0].result, tuple) and len(made[0].result) == 2 else (None, None)
    for name, item, original in (("w", w, made[0]), ("b", b, made[1])):
        t = expect_tensor(item, f"{name} from {what}")
        if t is None:
            continue
        if original is None or item is not original:
            mistake = (Mistake("replaced-parameter",
                       f"the {name} that came back is not the tensor that init_params made: it was "
                       f"replaced by a computed or detached one ({name}.detach(), {name} = {name} - ..., "
                       "or similar). Update it in place with sgd_step, and return that same tensor."))
        else:
            mistake = (Mistake("init-params-not-leaf",
                       f"this is the {name} that your init_params made, and it is not a leaf that "
                       "requires grad: fix exercise 05 first."))
        expect(t.requires_grad and t.is_leaf, f"{name} from {what}", str(t),
               "a leaf tensor that requires grad (the parameter from init_params(), updated in place)",
               mistake)


def test_uses_your_functions_from_exercises_04_to_08(train, spy, learner_module):
    names = ["init_params", "predict", "mse_loss", "sgd_step", "zero_grad"]
    calls = {name: spy(learner_module(name), name) for name in names}
    epochs = 3
    call(train, X.clone(), Y.clone(), DEFAULT_LR, epochs, describe=f"train(x, y, epochs={epochs})")
    # (at least, as the expected text reads); the gradients before the first update, or
    # after the last, need no clearing.
    least = {"init_params": (1, "at least 1"),
             "zero_grad": (epochs - 1, f"at least {epochs - 1}, one per epoch (the first or the last may be left out)")}
    for name in names:
        count, expected = least.get(name, (epochs, f"at least {epochs}, one per epoch"))
        expect(calls[name].count >= count, f"calls of your {name} during train(x, y, epochs={epochs})",
               str(calls[name].count), expected,
               Mistake("own-function-not-called", f"train must be built from your own functions: call {name} "
                       + ("once, to start." if name == "init_params" else "in every epoch.")))
