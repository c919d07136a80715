"""Exercise 33: train_digits(x, y, epochs, seed) trains a CNN with the learner's pieces, well enough to read digits it
never saw at least 97 % right.

The test keeps 359 digits apart (the contract's held-out set) and trains on the other 1,438. When the network falls
short, it finds out whose fault it is with correct pieces in place of the learner's, and it records the confusion
matrix and some misread digits for the report to draw.
"""

import inspect
import math

import torch
from diagnosis_support import earlier_fault, quietly, without_global_rng
from support import Mistake, call, expect, expect_tuple, fmt, show
from torch import nn
from vision_support import (
    CorrectCNN, CorrectConv2d, finale_data, probe, reference_confusion, reference_conv2d, reference_fit,
    reference_max_pool2d, reference_split,
)

THRESHOLD = 0.97
KEYS = {"train_loss", "val_loss", "val_accuracy", "best_epoch"}
OURS = {"split": reference_split, "conv2d": reference_conv2d, "Conv2d": CorrectConv2d, "max_pool2d": reference_max_pool2d,
        "CNN": CorrectCNN, "Adam": torch.optim.Adam, "fit": reference_fit}
SHOWN = 4  # misread digits drawn in the report

_default_runs: dict = {}


def _train(train_digits, *args):
    x, y = finale_data()[:2]
    what = "train_digits(x, y" + "".join(f", {a}" for a in args) + ") on 1,438 digits"
    return call(without_global_rng, train_digits, x.clone(), y.clone(), *args, describe=what)


def _default_run(train_digits):
    """train_digits(x, y) with its defaults, run once for the tests that read it."""
    if train_digits not in _default_runs:
        _default_runs[train_digits] = _train(train_digits)
    return _default_runs[train_digits]


def _predict(model: nn.Module) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(finale_data()[2]).argmax(dim=1)


def _read(result, what: str):
    items = expect_tuple(result, 2, what, "(model, history)")
    if items is None:
        return None
    if not expect(isinstance(items[0], nn.Module), f"the model from {what}", show(items[0]), "an nn.Module, your CNN",
                  Mistake("model-not-first", "return the trained model first: return model, history.")):
        return None
    return items


def _record_digits(record_property, predicted: torch.Tensor, accuracy: float) -> None:
    """What the report needs to draw the confusion matrix and a few misread digits."""
    x_test, y_test = finale_data()[2:]
    wrong = (predicted != y_test).nonzero().flatten()[:SHOWN].tolist()
    record_property("digits", {
        "accuracy": round(accuracy, 4),
        "matrix": reference_confusion(predicted, y_test, 10),
        "wrong": [{"pixels": [round(v * 16) for v in x_test[i, 0].flatten().tolist()],
                   "yours": int(predicted[i]), "truth": int(y_test[i])} for i in wrong],
    })


def _after_other_draws(train_digits, x: torch.Tensor, y: torch.Tensor, seed: int):
    """train_digits(x, y, 1, seed) with torch's global generator elsewhere than before the first run: only a run
    that seeds torch itself repeats."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1_000_003 + seed)
        return train_digits(x.clone(), y.clone(), 1, seed)


def _own_mistake(history: object) -> str | None:
    if not isinstance(history, dict) or not KEYS <= set(history):
        return None
    losses = [v for v in history.get("train_loss") or [] if isinstance(v, float)]
    if any(not math.isfinite(v) for v in losses) or (losses and losses[-1] > losses[0]):
        return (Mistake("loss-not-falling", "the training loss did not fall: keep LEARNING_RATE as the docstring gives "
                                            "it, and give Adam model.parameters()."))
    if losses and losses[-1] > 0.3:
        return Mistake("loss-too-high", f"the training loss only fell to {fmt(losses[-1], 3)}: train for the default "
                                        "epochs, with BATCH_SIZE, LEARNING_RATE and PATIENCE as the docstring gives "
                                        "them.")
    return None


def test_reads_digits_it_never_saw_at_least_97_percent_right(train_digits, record, record_property):
    what = "train_digits(x, y) on 1,438 digits, then its answers for 359 digits it never saw"
    read = _read(_default_run(train_digits), what)
    if read is None:
        return
    model, history = read
    predicted = call(_predict, model, describe="the trained model on 359 new digits")
    accuracy = (predicted == finale_data()[3]).float().mean().item()
    _record_digits(record_property, predicted, accuracy)
    if accuracy >= THRESHOLD:
        return

    def right(using) -> bool:
        run = record(_train, train_digits, describe="train_digits(x, y) with correct pieces", using=using).result
        if not (isinstance(run, tuple) and len(run) == 2 and isinstance(run[0], nn.Module)):
            return False
        got = quietly(_predict, run[0])
        return got is not None and (got == finale_data()[3]).float().mean().item() >= THRESHOLD

    mistake = earlier_fault("train_digits", right, OURS, probe) or _own_mistake(history)
    expect(False, what, f"{accuracy:.1%} right", f"at least {THRESHOLD:.0%} right", mistake)


def test_returns_your_cnn_and_the_history_of_fit(train_digits, learner_module):
    what = "train_digits(x, y) on 1,438 digits"
    read = _read(_default_run(train_digits), what)
    if read is None:
        return
    model, history = read
    expect(isinstance(model, learner_module("CNN").CNN), f"the model from {what}", type(model).__name__,
           "your CNN from exercise 27", Mistake("not-your-cnn", "build the model with your CNN: model = CNN()."))
    if not expect(isinstance(history, dict) and KEYS <= set(history), f"the history from {what}", show(history),
                  "fit's dictionary: train_loss, val_loss, val_accuracy, best_epoch",
                  Mistake("not-fit-history", "return what fit returns: return model, history.")):
        return
    val = history["val_loss"]
    epochs = inspect.signature(train_digits).parameters["epochs"].default
    if isinstance(val, list) and val and all(isinstance(v, float) for v in val):
        expect(1 <= len(val) <= epochs and history["best_epoch"] == val.index(min(val)),
               f"the history from {what}", f"{len(val)} epochs, best_epoch {history['best_epoch']!r}",
               f"at most {epochs} epochs, best_epoch at the lowest validation loss ({val.index(min(val))})", None)


def test_uses_split_adam_and_fit_with_the_seed(train_digits, record, learner_module):
    x, y = (t[:150] for t in finale_data()[:2])
    what = "train_digits(x, y, 1, 5) on 150 digits"
    run = record(without_global_rng, train_digits, x.clone(), y.clone(), 1, 5, describe=what, watch=["split", "fit"])
    if run.error is not None:
        run.reraise(what)
    splits, fits = run.of("split"), run.of("fit")
    expect(len(splits) == 1 and splits[0].arg(3, "seed") == 5 and splits[0].arg(2, "val_fraction") == 0.2,
           f"your split's calls during {what}", "none" if not splits else
           f"val_fraction={splits[0].arg(2, 'val_fraction')!r}, seed={splits[0].arg(3, 'seed')!r}",
           "one call with val_fraction=0.2 and seed=5", Mistake("not-your-split", "split off the validation data with "
                                                                                  "your split: split(x, y, "
                                                                                  "VAL_FRACTION, seed)."))
    if not expect(len(fits) == 1, f"your fit's calls during {what}", str(len(fits)), "1",
                  Mistake("not-your-fit", "train with your fit from exercise 30, once.")):
        return
    optimizer, epochs = fits[0].arg(4, "optimizer"), fits[0].arg(5, "epochs")
    expect(isinstance(optimizer, learner_module("Adam").Adam), f"the optimizer given to fit during {what}",
           type(optimizer).__name__, "your Adam from exercise 28", Mistake("not-your-adam", "optimizer = "
                                                                                            "Adam(model.parameters(), "
                                                                                            "lr=LEARNING_RATE), your "
                                                                                            "own."))
    expect(epochs == 1, f"the epochs given to fit during {what}", repr(epochs), "1",
           Mistake("epochs-ignored", "pass train_digits's epochs on to fit: the argument was ignored."))
    again = call(_after_other_draws, train_digits, x, y, 5, describe=f"{what}, again")
    other = call(_after_other_draws, train_digits, x, y, 6, describe="train_digits(x, y, 1, 6)")
    if None in (_read(run.result, what), _read(again, what), _read(other, what)):
        return
    first = [next(r[0].parameters()).detach() for r in (run.result, again, other)]
    expect(torch.equal(first[0], first[1]), f"the first weights of {what}, run twice", "different", "the same",
           Mistake("not-reproducible", "train_digits does not repeat itself: torch.manual_seed(seed) first, and the "
                                       "training loader's generator seeded with seed."))
    expect(not torch.equal(first[0], first[2]), "the first weights with seed=5 and with seed=6", "the same",
           "different", Mistake("seed-ignored", "the seed argument was ignored: torch.manual_seed(seed)."))
