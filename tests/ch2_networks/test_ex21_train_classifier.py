"""Exercise 21: train_classifier(x, y, epochs, seed) trains MLP([2, 16, 16, 2]) with the learner's pieces, well enough
to classify new moons at least 97 % right.

The test keeps its data to itself (the moons of the contract, made here) and, when training falls short, finds out
whose fault it is by training again with correct pieces in place of the learner's.
"""

import functools
import inspect
import math
import sys

import torch
import torch.nn.functional as F
from diagnosis_support import quietly, substitute, without_global_rng
from nn_support import CorrectMLP, correct_loader, correct_train_epoch, moons, nearest_arc
from support import Mistake, call, close, expect, expect_tuple, facts, floats, fmt, is_float, show
from torch import nn

THRESHOLD = 0.97
TRAIN_SEED, HELD_OUT_SEED = 21, 2021
SIZES = [(16, 2), (16,), (16, 16), (16,), (2, 16), (2,)]
GRID = (34, 12)  # columns and rows of the decision boundary's picture
# The pieces train_classifier uses, each with a correct one to put in its place, and its exercise.
PIECES = {"MLP": ("14", CorrectMLP), "cross_entropy": ("15", F.cross_entropy), "make_loader": ("17", correct_loader),
          "train_epoch": ("18", correct_train_epoch), "SGD": ("12", torch.optim.SGD)}
LN_2 = math.log(2)


@functools.cache
def _data() -> tuple[torch.Tensor, ...]:
    """Training moons and held-out moons, made to the contract with seeds of the test's own."""
    return (*moons(200, 0.1, TRAIN_SEED), *moons(400, 0.1, HELD_OUT_SEED))


def _default_epochs(train_classifier) -> object:
    return inspect.signature(train_classifier).parameters["epochs"].default


def _train(train_classifier, *args):
    """train_classifier(x, y, *args) on the training moons; torch's global random state is put back afterwards."""
    x, y = _data()[:2]
    what = "train_classifier(x, y" + "".join(f", {a}" for a in args) + ") on two_moons(200, 0.1)"
    return call(without_global_rng, train_classifier, x.clone(), y.clone(), *args, describe=what)


_default_runs: dict = {}


def _default_run(train_classifier):
    """train_classifier(x, y) with its default epochs, run once for the tests that read it."""
    if train_classifier not in _default_runs:
        _default_runs[train_classifier] = _train(train_classifier)
    return _default_runs[train_classifier]


def _held_out_accuracy(model: nn.Module) -> float:
    x_test, y_test = _data()[2:]
    model.eval()
    with torch.no_grad():
        return (model(x_test).argmax(dim=1) == y_test).float().mean().item()


def _learner_pieces(module) -> dict[str, object]:
    """The pieces that the learner's train_classifier module uses from the learner's own files: name -> the
    module that defines it."""
    package = module.__name__.rpartition(".")[0] + "."
    found = {}
    for name in PIECES:
        owner = getattr(vars(module).get(name), "__module__", None)
        if owner and owner.startswith(package) and owner != module.__name__:
            found[name] = sys.modules[owner]
    return found


def _accuracy_with(train_classifier, monkeypatch, pieces: dict[str, object], correct: set[str]) -> tuple[float, list]:
    """(held-out accuracy, losses) of a default run with correct pieces in place of the learner's `correct` ones."""
    with monkeypatch.context() as m:
        for name in correct:
            substitute(m, pieces[name], name, PIECES[name][1])
        result = quietly(_train, train_classifier)
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], nn.Module)):
        return 0.0, []
    return quietly(_held_out_accuracy, result[0]) or 0.0, floats(result[1]) or []


def _losses_read(losses: list[float]) -> str:
    if not losses:
        return "no losses"
    shown = [losses[0], *losses[len(losses) // 4::len(losses) // 4 or 1]][:5]
    return f"losses {fmt(shown, 3)} ... {fmt(losses[-1], 3)}"


def _own_mistake(model: nn.Module, losses: list | None) -> str | None:
    """What the learner's own train_classifier got wrong, from what it returned."""
    numbers = [v for v in losses if isinstance(v, float)] if isinstance(losses, list) else []
    bad = next((i for i, v in enumerate(numbers) if not math.isfinite(v)), None)
    overshoot = ("the learning rate is too high, so each step overshoots the valley it aims for and lands higher up "
                 "the other side. Keep LEARNING_RATE as the docstring gives it.")
    if bad is not None:
        return Mistake("diverged", f"the loss became {numbers[bad]} at epoch {bad + 1}: {overshoot}")
    if numbers and max(numbers) > 2 * numbers[0]:
        return Mistake("loss-grew",
               f"the loss grew from {fmt(numbers[0], 3)} to {fmt(max(numbers), 3)} instead of falling: {overshoot}")
    if [tuple(p.shape) for p in model.parameters()] != SIZES:
        return Mistake("wrong-model",
               "the model is not MLP([2, 16, 16, 2]): 2 coordinates in, two hidden layers of 16, 2 logits out.")
    if numbers and close(numbers[-1], numbers[0], 0.02):
        return (Mistake("nothing-learned",
                f"the loss stayed at {fmt(numbers[0], 3)}: nothing was learned. Check that the optimizer is given "
                "model.parameters() and that train_epoch runs once per epoch."))
    if numbers and numbers[-1] > 0.15:
        return (Mistake("undertrained",
                f"the loss only fell to {fmt(numbers[-1], 3)}: the model needs more training, the default epochs "
                "with BATCH_SIZE and LEARNING_RATE as the docstring gives them."))
    return None


def _whose_fault(train_classifier, monkeypatch, learner_module) -> str | None:
    """Train again with correct pieces; name the learner's pieces at fault, or say that the fault is their own."""
    pieces = _learner_pieces(learner_module("train_classifier"))
    if not pieces:
        return None
    fixed, _ = _accuracy_with(train_classifier, monkeypatch, pieces, set(pieces))
    if fixed < THRESHOLD:
        return None
    faults = []
    for name in pieces:
        accuracy, losses = _accuracy_with(train_classifier, monkeypatch, pieces, set(pieces) - {name})
        if accuracy < THRESHOLD:
            faults.append((PIECES[name][0], f"with your {name} (exercise {PIECES[name][0]}) and correct other "
                                            f"pieces it reaches {accuracy:.0%} ({_losses_read(losses)})"))
    start = (f"your train_classifier is right: with correct pieces in place of yours it classifies {fixed:.0%} of "
             "the new moons right.")
    if not faults:
        names = ", ".join(f"{n} (exercise {PIECES[n][0]})" for n in pieces)
        return (Mistake("earlier-exercise",
                f"{start} Each of your pieces works with correct others, but not all of them together: check "
                f"{names} with `python grader.py check`."))
    return Mistake("earlier-exercise",
           f"{start} But {'; '.join(text for _, text in faults)}: fix exercise {min(faults)[0]} first.")


def _grid(predict) -> tuple[list[str], list[float]]:
    """Rows of predicted classes (top row first) over the box around the training moons, and the box."""
    x = _data()[0]
    x0, y0 = (x.min(dim=0).values - 0.25).tolist()
    x1, y1 = (x.max(dim=0).values + 0.25).tolist()
    cols, rows = GRID
    xs = torch.linspace(x0, x1, 2 * cols + 1)[1::2]  # cell centres
    ys = torch.linspace(y1, y0, 2 * rows + 1)[1::2]
    points = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).reshape(-1, 2)
    classes = predict(points).reshape(rows, cols).tolist()
    return ["".join(str(c) for c in row) for row in classes], [round(v, 3) for v in (x0, x1, y0, y1)]


def _record_boundary(record_property, model: nn.Module, accuracy: float) -> None:
    """What the report needs to draw the model's decision boundary beside a correct one."""
    def predict(points):
        with torch.no_grad():
            return model(points).argmax(dim=1)

    yours = quietly(_grid, predict)
    if yours is None:
        return
    correct, box = _grid(nearest_arc)
    x, y = _data()[:2]
    x_test, y_test = _data()[2:]
    record_property("boundary", {
        "cols": GRID[0], "rows": GRID[1], "box": box, "yours": yours[0], "correct": correct,
        "points": [[round(a, 2), round(b, 2), c] for (a, b), c in zip(x.tolist(), y.tolist())],
        "accuracy": round(accuracy, 4),
        "correct_accuracy": round((nearest_arc(x_test) == y_test).float().mean().item(), 4),
    })


def _read(result, what: str):
    """(model, losses) from a run, or None after a failed check."""
    items = expect_tuple(result, 2, what, "(model, losses)")
    if items is None:
        return None
    if not expect(isinstance(items[0], nn.Module), f"the model from {what}", show(items[0]), "an nn.Module, your MLP",
                  Mistake("returned-not-model", "return the trained model first: return model, losses.")):
        return None
    return items


def test_classifies_new_moons_at_least_97_percent_right(train_classifier, monkeypatch, learner_module, record_property):
    what = "train_classifier(x, y) on two_moons(200, 0.1), then its predictions for 400 new moons"
    read = _read(_default_run(train_classifier), what)
    if read is None:
        return
    model, losses = read
    accuracy = call(_held_out_accuracy, model, describe="the trained model on 400 new points")
    _record_boundary(record_property, model, accuracy)
    if accuracy >= THRESHOLD:
        return
    mistake = _whose_fault(train_classifier, monkeypatch, learner_module) or _own_mistake(model, losses)
    expect(False, what, f"{accuracy:.1%} right" + (f", {_losses_read(floats(losses) or [])}" if floats(losses) else ""),
           f"at least {THRESHOLD:.0%} right (a correct boundary gets {(nearest_arc(_data()[2]) == _data()[3]).float().mean().item():.1%})",
           mistake)


def test_returns_your_mlp_and_one_loss_per_epoch(train_classifier, learner_module):
    what = "train_classifier(x, y) on two_moons(200, 0.1)"
    read = _read(_default_run(train_classifier), what)
    if read is None:
        return
    model, losses = read
    expect(isinstance(model, learner_module("MLP").MLP), f"the model from {what}", type(model).__name__,
           "your MLP from exercise 14", Mistake("own-mlp-not-used",
                                        "build the model with your MLP: model = MLP([2, 16, 16, 2])."))
    shapes = [tuple(p.shape) for p in model.parameters()]
    expect(shapes == SIZES, f"the parameter shapes of the model from {what}", str(shapes), str(SIZES),
           Mistake("wrong-model",
           "the model is MLP([2, 16, 16, 2]): 2 coordinates in, two hidden layers of 16, 2 logits out."))
    epochs = _default_epochs(train_classifier)
    if not expect(isinstance(losses, list) and all(is_float(v) for v in losses), f"the losses from {what}",
                  show(losses), "a list of Python floats, one per epoch",
                  Mistake("losses-not-list",
                  "keep what train_epoch returns for each epoch, in a list.") if not isinstance(losses, list) else
                  Mistake("losses-not-floats", "train_epoch returns a Python float per epoch: keep those.")):
        return
    expect(len(losses) == epochs, f"len(losses) from {what}", str(len(losses)), f"{epochs}, the default epochs",
           Mistake("wrong-epoch-count", "run train_epoch exactly epochs times: for _ in range(epochs)."))
    bad = next((v for v in losses if not math.isfinite(v)), None)
    ok = bad is None and losses and losses[-1] < 0.5 * losses[0]
    expect(ok, f"the losses from {what}", _losses_read(losses),
           f"falling from about ln 2 = {LN_2:.3f} to a small fraction of it",
           _own_mistake(model, losses) if not ok else None)


def test_same_seed_same_run_and_another_seed_another_run(train_classifier):
    what = "train_classifier(x, y, 2, seed=5)"

    def runs():
        first = train_classifier(*(t.clone() for t in _data()[:2]), 2, 5)
        seed_after = torch.initial_seed()
        return first, train_classifier(*(t.clone() for t in _data()[:2]), 2, 5), \
            train_classifier(*(t.clone() for t in _data()[:2]), 2, 6), seed_after

    first, again, other, seed_after = call(without_global_rng, runs, describe=f"{what}, twice, then with seed=6")
    read = [_read(r, what) for r in (first, again, other)]
    if None in read:
        return
    weights = [facts(next(r[0].parameters())).value for r in read]
    expect(weights[0] == weights[1] and floats(read[0][1]) == floats(read[1][1]),
           f"the first layer's weight and the losses of {what}, run twice", "different in the two runs",
           "the same: a seeded run repeats exactly",
           Mistake("not-seeded",
           "train_classifier does not seed torch: call torch.manual_seed(seed) first, before MLP(...) draws the "
           "first weights.") if seed_after != 5 else
           Mistake("not-reproducible",
           "the runs differ although torch was seeded with 5: something random happens before torch.manual_seed(seed) "
           "or draws from another generator."))
    expect(not close(weights[0], weights[2], 1e-4), "the first layer's weight with seed=5 and with seed=6",
           "the same numbers",
           "different numbers", Mistake("seed-ignored",
                                "the seed argument was ignored: torch.manual_seed(seed), with the seed given."))


def test_uses_your_make_loader_cross_entropy_and_train_epoch(train_classifier, spy, learner_module):
    calls = {name: spy(learner_module(name), name) for name in ("make_loader", "cross_entropy", "train_epoch")}
    epochs = 2
    _train(train_classifier, epochs)
    for name in calls:
        count = calls[name].count
        ok = count == epochs if name == "train_epoch" else count >= 1
        if count == 0:
            mistake = Mistake("own-piece-not-used",
                              f"train_classifier is built from your own pieces: use your {name} (exercise "
                              f"{PIECES[name][0]})" + (", as the loss given to train_epoch." if name == "cross_entropy"
                                                       else "."))
        else:
            mistake = Mistake("wrong-epoch-count", "call train_epoch once per epoch, for _ in range(epochs)" + (
                ": the epochs argument was ignored." if count == _default_epochs(train_classifier) else "."))
        expect(ok, f"calls of your {name} during train_classifier(x, y, {epochs})", str(count),
               f"{epochs}, one per epoch" if name == "train_epoch" else "at least 1", mistake)
