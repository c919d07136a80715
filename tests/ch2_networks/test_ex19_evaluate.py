"""Exercise 19: evaluate(model, loader, loss_fn) gives (mean loss, accuracy) over samples, in eval mode under no_grad, changing nothing."""

import functools

import torch
import torch.nn.functional as F
from diagnosis_support import quietly, substitute
from nn_support import correct_accuracy, correct_loader, linear
from support import Mistake, attempt, call, close, diagnose, expect, expect_tuple, fmt, is_float, is_tensor, show, values
from torch import nn

N, BATCH, SEED = 10, 4, 190  # batches of 4, 4 and 2
CALL = "evaluate(model, loader, F.cross_entropy) over 10 samples in batches of 4, 4 and 2"
PERCENTAGE = Mistake("percentage",
                     "the accuracy is a percentage, 100 times the fraction: return the fraction of samples classified "
                     "right, a number between 0 and 1, as accuracy (exercise 16) gives it.")


def _data():
    gen = torch.Generator().manual_seed(SEED)
    return torch.randn(N, 3, generator=gen), torch.randint(0, 3, (N,), generator=gen)


@functools.cache
def _reference() -> tuple[float, float, list[tuple[float, float, int]]]:
    """(mean loss, accuracy) over all samples, and each batch's (loss, accuracy, size)."""
    model, (x, y) = linear(3, 3, SEED), _data()
    with torch.no_grad():
        batches = [(F.cross_entropy(model(xb), yb).item(), correct_accuracy(model(xb), yb), len(xb))
                   for xb, yb in correct_loader(x, y, BATCH, shuffle=False)]
        return F.cross_entropy(model(x), y).item(), correct_accuracy(model(x), y), batches


def _run(evaluate):
    """The learner's evaluate on a model in training mode; what it returned, the model, and each forward's
    (training flag, autograd on)."""
    model = linear(3, 3, SEED)
    seen: list[tuple[bool, bool]] = []

    def hook(module: nn.Module, args: tuple) -> None:
        seen.append((module.training, torch.is_grad_enabled()))

    model.register_forward_pre_hook(hook)
    result = call(evaluate, model, correct_loader(*_data(), BATCH, shuffle=False), F.cross_entropy, describe=CALL)
    return result, model, seen


def _read(result) -> tuple[float, float] | None:
    items = expect_tuple(result, 2, CALL, "(mean_loss, accuracy)")
    if items is None:
        return None
    for name, item in zip(("the mean loss", "the accuracy"), items):
        if not expect(is_float(item), f"{name} from {CALL}", show(item), "a Python float",
                      Mistake("tensor-returned",
                      "a tensor came back: use .item() on each batch's loss.") if is_tensor(item) else None):
            return None
    return items[0], items[1]


def _mistake(got: tuple[float, float], expected: tuple[float, float], batches) -> str | None:
    losses, accuracies, sizes = zip(*batches)
    return diagnose(list(got), [
        ([expected[1], expected[0]], Mistake("swapped-results",
                                     "the two results are swapped: return (mean loss, accuracy), in that order.")),
        ([sum(losses) / len(losses), sum(accuracies) / len(accuracies)],
         Mistake("batches-unweighted",
         "each batch counted once, whatever its size: weight each batch's loss and accuracy by len(x_batch), "
         "then divide by the number of samples.")),
        ([sum(losses) / len(losses), expected[1]], Mistake("loss-unweighted",
                                                   "each batch's loss counted once, whatever its size: weight it by "
                                                   "len(x_batch), then divide by the number of samples.")),
        ([expected[0], sum(accuracies) / len(accuracies)], Mistake("accuracy-unweighted",
                                                           "each batch's accuracy counted once, whatever its size: "
                                                           "weight it by len(x_batch), then divide by the number "
                                                           "of samples.")),
        ([losses[-1], accuracies[-1]], Mistake("last-batch-only",
                                       "these are the last batch's values alone: add up every batch's, weighted by "
                                       "its size.")),
        ([expected[0], 100 * expected[1]], PERCENTAGE),
    ])


def _accuracy_fault(evaluate, monkeypatch, learner_module, expected: tuple[float, float]) -> str | None:
    """When evaluate is right with a correct accuracy in place of the learner's, say that their accuracy is wrong."""
    with monkeypatch.context() as m:
        if not substitute(m, learner_module("accuracy"), "accuracy", correct_accuracy):
            return None
        result = quietly(lambda: _run(evaluate)[0])
    if isinstance(result, tuple) and len(result) == 2 and close(list(result), list(expected)):
        x, y = _data()
        logits = linear(3, 3, SEED)(x).detach()
        try:
            theirs = show(learner_module("accuracy").accuracy(logits, y))
        except Exception as exc:
            theirs = f"{type(exc).__name__}: {exc}"
        return (Mistake("earlier-exercise",
                f"your evaluate is right: with a correct accuracy in place of yours it gives the expected numbers. "
                f"Your accuracy (exercise 16) gives {theirs} for this model's 10 samples, where "
                f"{fmt(expected[1])} is right: fix exercise 16 first."))
    return None


def test_returns_mean_loss_and_accuracy_over_samples(evaluate, monkeypatch, learner_module):
    loss, accuracy, batches = _reference()
    ran, exc = attempt(_run, evaluate, describe=CALL)
    if exc is not None:
        mistake = _accuracy_fault(evaluate, monkeypatch, learner_module, (loss, accuracy))
        if mistake is None:
            raise exc
        expect(False, CALL, f"{type(exc).__name__}: {exc}", f"({fmt(loss)}, {fmt(accuracy)})", mistake)
        return
    read = _read(ran[0])
    if read is None:
        return
    if close(list(read), [loss, accuracy]):
        return
    mistake = _mistake(read, (loss, accuracy), batches)
    if mistake is None and close(read[0], loss):
        mistake = _accuracy_fault(evaluate, monkeypatch, learner_module, (loss, accuracy))
    expect(False, CALL, f"({fmt(read[0])}, {fmt(read[1])})", f"({fmt(loss)}, {fmt(accuracy)}), over the 10 samples",
           mistake)


def test_runs_in_eval_mode_under_no_grad(evaluate):
    _, model, seen = _run(evaluate)
    if not expect(bool(seen), f"forward calls of the model during {CALL}", "none", "one per batch",
                  Mistake("model-not-called", "call the model on every batch of the loader.")):
        return
    modes, recording = [s[0] for s in seen], [s[1] for s in seen]
    expect(not any(modes), f"model.training at each forward of {CALL}, the model given in training mode",
           str(modes), str([False] * len(modes)),
           Mistake("train-mode",
           "the model stayed in training mode: call model.eval() first, so that layers such as dropout behave "
           "as they do in use."))
    expect(not any(recording), f"autograd recording at each forward of {CALL}", str(recording),
           str([False] * len(recording)),
           Mistake("autograd-recorded",
           "autograd recorded every forward, building graphs that nothing uses: run the loop inside "
           "`with torch.no_grad():`. (model.eval() does not switch autograd off; it only changes how layers act.)"))


def test_changes_no_parameter_and_leaves_no_gradient(evaluate):
    _, model, _ = _run(evaluate)
    start = linear(3, 3, SEED)
    for name, p in model.named_parameters():
        expect(close(values(p), values(getattr(start, name))), f"model.{name} after {CALL}", fmt(values(p)),
               f"{fmt(values(getattr(start, name)))}, unchanged",
               Mistake("changed-model",
               "evaluate changed the model: it only measures, with no optimizer step and no update."))
        expect(p.grad is None, f"model.{name}.grad after {CALL}", show(p.grad), "None, as before",
               Mistake("called-backward",
               "evaluate called backward(): evaluation only measures, so there is nothing to differentiate."))
