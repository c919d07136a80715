"""Exercise 30: fit trains and validates once per epoch, stops after `patience` epochs without a strictly lower
validation loss, and loads a copy of the best epoch's weights back.

Torch has nothing to compare fit with, so these tests script it: an optimizer whose step() sets the model's one
weight to the next value of a script makes every epoch's validation loss known in advance. The scripted model
notes how it was called (training or evaluation mode, gradients on or off, which data).
"""

import torch
from support import Mistake, call, close, expect, fmt, show
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

TRAIN_X = torch.arange(1.0, 6.0).reshape(5, 1)  # 5 samples in batches of 2, 2 and 1
VAL_X, VAL_Y = torch.full((3, 1), -1.0), torch.tensor([0, 0, 1])
BATCHES = 3
# Scripts of validation losses, one per epoch: (losses, epochs, patience, epochs run, best epoch).
PATIENCE_SCRIPT = ([0.9, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.2], 9, 3, 5, 1)
TIE_SCRIPT = ([0.9, 0.5, 0.5, 0.5, 0.5, 0.1], 6, 2, 4, 1)
FULL_SCRIPT = ([0.9, 0.7, 0.5, 0.3], 4, 2, 4, 3)


class Scripted(nn.Module):
    """One weight w; on the training data the loss is w * mean(x), on the validation data it is w, and the logits
    make class 0 the answer while w > 0. Every forward notes (data, training mode, gradients on)."""

    def __init__(self, start: float) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([start]))
        self.notes: list[tuple[str, bool, bool]] = []
        self.loaded: list[dict] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        data = "validation" if bool((x < 0).all()) else "training"
        self.notes.append((data, self.training, torch.is_grad_enabled()))
        score = self.w * x.abs()[:, 0]
        return torch.stack([score, torch.zeros_like(score)], dim=1)

    def load_state_dict(self, state, *args, **kwargs):
        self.loaded.append({"shares_memory": any(t.data_ptr() == self.w.data_ptr() for t in state.values()),
                            "w": float(state["w"][0])})
        return super().load_state_dict(state, *args, **kwargs)


class ScriptedOptimizer:
    """Sets w to the next value of the script at the last batch of each epoch; notes zero_grad, backward and step."""

    def __init__(self, model: Scripted, script: list[float], log: list[str]) -> None:
        self.model, self.script, self.log, self.steps = model, script, log, 0
        model.w.register_hook(lambda g: log.append("backward"))

    def zero_grad(self) -> None:
        self.log.append("zero_grad")
        self.model.w.grad = None

    def step(self) -> None:
        self.log.append("step")
        self.steps += 1
        epoch, batch = divmod(self.steps - 1, BATCHES)
        if batch == BATCHES - 1 and epoch < len(self.script):
            with torch.no_grad():
                self.model.w.fill_(self.script[epoch])


def _loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return out[:, 0].mean()


def _run(fit, script: list[float], epochs: int, patience: int):
    """fit on the scripted model; (history, model, log, what)."""
    model, log = Scripted(1.0), []
    optimizer = ScriptedOptimizer(model, script, log)
    train = DataLoader(TensorDataset(TRAIN_X, torch.zeros(5, dtype=torch.int64)), batch_size=2)
    val = DataLoader(TensorDataset(VAL_X, VAL_Y), batch_size=2)
    what = (f"fit(model, train_loader, val_loader, loss_fn, optimizer, epochs={epochs}, patience={patience}) with "
            f"validation losses scripted to be {fmt(script[:epochs], 3)} epoch by epoch")
    history = call(fit, model, train, val, _loss, optimizer, epochs, patience, describe=what)
    return history, model, log, what


def _history(history, what: str) -> dict | None:
    keys = {"train_loss", "val_loss", "val_accuracy", "best_epoch"}
    if not expect(isinstance(history, dict) and keys <= set(history), f"what {what} returned", show(history),
                  "a dict with train_loss, val_loss, val_accuracy and best_epoch",
                  Mistake("no-history", "return the history: {\"train_loss\": [...], \"val_loss\": [...], "
                                        "\"val_accuracy\": "
                                        "[...], "
                                        "\"best_epoch\": "
                                        "best}.") if history is None or isinstance(history, dict) else None):
        return None
    return history


def _stopping(fit, script_case, tie: bool) -> None:
    script, epochs, patience, run, best = script_case
    history, model, log, what = _run(fit, script, epochs, patience)
    history = _history(history, what)
    if history is None:
        return
    ran = len(history["val_loss"]) if isinstance(history["val_loss"], list) else None
    mistake = None
    if tie and history["best_epoch"] != best:
        mistake = Mistake("ties-count-as-improvement", f"an epoch whose validation loss only equals the best so far "
                                                       f"({script[best]}) was counted as an improvement: improve only "
                                                       "when strictly lower, val_loss < best_loss.")
    elif ran == run + 1:
        mistake = Mistake("one-epoch-too-many", f"training went on for one epoch too many: stop at the end of the "
                                                f"{patience}-th epoch in a row without improvement (count them, and "
                                                "break when the count reaches patience).")
    elif ran == run - 1:
        mistake = Mistake("one-epoch-too-few", f"training stopped one epoch too early: stop only when {patience} "
                                               "epochs in a row have not improved, counting from the epoch after the "
                                               "best.")
    elif ran == epochs and epochs != run:
        mistake = Mistake("never-stops", "training never stopped early: count the epochs without improvement and break "
                                         "at patience.")
    expect(ran == run and history["best_epoch"] == best, f"the epochs run and the best epoch of {what}",
           f"{ran} epochs, best_epoch {history['best_epoch']!r}", f"{run} epochs, best_epoch {best}", mistake)


def test_stops_after_patience_epochs_without_improvement(fit):
    _stopping(fit, PATIENCE_SCRIPT, tie=False)


def test_an_equal_validation_loss_is_no_improvement(fit):
    _stopping(fit, TIE_SCRIPT, tie=True)


def test_loads_a_copy_of_the_best_weights_back(fit):
    script, epochs, patience, run, best = PATIENCE_SCRIPT
    history, model, log, what = _run(fit, script, epochs, patience)
    w = float(model.w.detach()[0])
    if close(w, script[best]):
        return
    if not model.loaded:
        mistake = ("the best weights were never loaded back: after the loop, model.load_state_dict(best_state). "
                   "(Making a new model, or rebinding `model`, leaves the caller's model as it was.)")
    elif model.loaded[-1]["shares_memory"] or close(model.loaded[-1]["w"], w):
        mistake = (Mistake("state-not-copied", "the saved state is not a copy: model.state_dict() holds the model's "
                                               "own tensors, so every later step changed it too and 'the best' became "
                                               "the last. Keep copy.deepcopy(model.state_dict())."))
    else:
        mistake = Mistake("wrong-weights-loaded",
                          f"the weights loaded back are those of another epoch (w = {fmt(model.loaded[-1]['w'])}).")
    expect(False, f"the model's weight after {what}", fmt(w), f"{script[best]}, the weight of the best epoch, {best}",
           mistake)


def test_history_holds_losses_and_accuracy_averaged_over_samples(fit):
    script, epochs, patience, run, best = FULL_SCRIPT
    history, model, log, what = _run(fit, script, epochs, patience)
    history = _history(history, what)
    if history is None:
        return
    weights = [1.0] + script[:-1]  # w during each epoch's training pass
    mean_x = sum(TRAIN_X.flatten().tolist()) / 5
    train = [w * mean_x for w in weights]
    expect(close(history["train_loss"], train), f"history['train_loss'] of {what}", fmt(history["train_loss"]),
           fmt(train), Mistake("mean-of-batch-means", "each epoch's training loss is the mean over samples: add "
                                                      "loss.item() * len(batch) and divide by the number of samples "
                                                      "(batches of 2, 2 and 1 here; a mean of batch means weighs the "
                                                      "last one too much).")
           if close(history["train_loss"], [w * (1.5 + 3.5 + 5) / 3 for w in weights]) else None)
    expect(close(history["val_loss"], script), f"history['val_loss'] of {what}", fmt(history["val_loss"]),
           fmt(script), None)
    expect(close(history["val_accuracy"], [2 / 3] * 4), f"history['val_accuracy'] of {what}",
           fmt(history["val_accuracy"]), fmt([2 / 3] * 4),
           Mistake("accuracy-of-batches", "accuracy over samples: count the right answers and divide by the number of "
                                          "samples, not a mean of "
                                          "batch accuracies.") if close(history["val_accuracy"], [0.5] * 4) else
           Mistake("accuracy-wrong", "accuracy is a fraction of the validation samples whose largest logit is their "
                                     "label."))
    floats = all(type(v) is float for k in ("train_loss", "val_loss", "val_accuracy") for v in history[k])
    expect(floats and type(history["best_epoch"]) is int, f"the types in the history of {what}",
           "not only Python floats and an int", "lists of Python floats, best_epoch an int",
           Mistake("loss-tensor-kept", "keep loss.item() (a float), not the loss tensor."))


def test_validation_changes_nothing_and_training_trains(fit):
    script, epochs, patience, run, best = FULL_SCRIPT
    history, model, log, what = _run(fit, script, epochs, patience)
    validation = [n for n in model.notes if n[0] == "validation"]
    training = [n for n in model.notes if n[0] == "training"]
    expect(validation and not any(mode for _, mode, _ in validation), f"the mode of the validation passes of {what}",
           "training mode", "evaluation mode", Mistake("no-eval-mode", "call model.eval() before the validation pass "
                                                                       "(and model.train() before each training pass): "
                                                                       "layers such as dropout act differently in the "
                                                                       "two."))
    expect(validation and not any(grad for _, _, grad in validation), f"autograd during the validation passes of {what}",
           "recording", "off", Mistake("validation-with-grad", "run the validation pass under torch.no_grad(): it "
                                                               "computes no gradient and must not build a graph."))
    expect(training and all(mode for _, mode, _ in training), f"the mode of the training passes of {what}",
           "evaluation mode in some", "training mode in every one", Mistake("no-train-mode", "call model.train() at "
                                                                                             "the start of every "
                                                                                             "epoch's training pass: "
                                                                                             "after the first "
                                                                                             "validation pass the "
                                                                                             "model is still in "
                                                                                             "evaluation mode."))
    expect(log.count("step") == BATCHES * epochs and log.count("backward") == BATCHES * epochs,
           f"step() and backward() calls during {what}", f"{log.count('step')} and {log.count('backward')}",
           f"{BATCHES * epochs} each: one per training batch, none for validation",
           Mistake("validation-trains", "the validation data must never train the model: no backward() or step() in "
                                        "the validation pass.")
           if log.count("step") > BATCHES * epochs else None)
    order = [e for e in log if e in ("zero_grad", "backward", "step")]
    expect(order == ["zero_grad", "backward", "step"] * (BATCHES * epochs), f"the calls of each training batch of "
           f"{what}", ", ".join(order[:6]) + ", ...", "zero_grad, backward, step for every batch",
           Mistake("training-step-order", "each batch: optimizer.zero_grad(), the loss, loss.backward(), "
                                          "optimizer.step()."))
