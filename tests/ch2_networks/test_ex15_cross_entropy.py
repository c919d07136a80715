"""Exercise 15: cross_entropy(logits, targets) is the mean of -log softmax at the right class, stable, refusing bad targets."""

import math

import torch
import torch.nn.functional as F
from support import (
    Mistake, attempt, call, close, diagnose, expect, expect_scalar, expect_tensor, fmt, names_shape, show, values,
)

UNIFORM = [(4, 3), (5, 2), (3, 10)]  # all logits 0: the loss is ln C
_gen = torch.Generator().manual_seed(15)
RANDOM = [(torch.randn(6, 4, generator=_gen) * 3, torch.randint(0, 4, (6,), generator=_gen)),
          (torch.randn(3, 2, generator=_gen), torch.randint(0, 2, (3,), generator=_gen))]
# Logits in the thousands; some targets sit where softmax rounds to 0 in float32.
LARGE = (torch.tensor([[1000.0, 0.0, -1000.0], [-2000.0, 2000.0, 0.0], [3000.0, 2999.0, 0.0], [0.0, 0.0, 1e4]]),
         torch.tensor([2, 1, 1, 0]))
BAD_TARGETS = [  # (how they read, targets for logits of shape (4, 3), what the message must show)
    ("float32 class indices [0., 2., 1., 0.]", torch.tensor([0.0, 2.0, 1.0, 0.0]), "dtype"),
    ("one-hot rows, int64 of shape (4, 3)", F.one_hot(torch.tensor([0, 2, 1, 0]), 3), "shape"),
    ("one-hot rows, float32 of shape (4, 3)", F.one_hot(torch.tensor([0, 2, 1, 0]), 3).float(), "either"),
    ("5 int64 class indices for 4 rows", torch.tensor([0, 2, 1, 0, 1]), "shape"),
]


def _wrong(logits: torch.Tensor, targets: torch.Tensor) -> list[tuple[float, str]]:
    """The losses the usual mistakes give, with what each one means."""
    log_probs = F.log_softmax(logits, dim=1)
    picked = log_probs[torch.arange(len(targets)), targets]
    right = logits[torch.arange(len(targets)), targets]
    return [
        (-picked.sum().item(), Mistake("sum-not-mean",
                               "this is the sum over the rows: take the mean (.mean()), so that the loss does not "
                               "grow with the batch.")),
        (picked.mean().item(), Mistake("flipped-sign",
                               "the sign is flipped: the loss is minus the mean log-probability, and it is never "
                               "negative.")),
        (F.cross_entropy(logits.softmax(dim=1), targets).item(),
         Mistake("softmax-first",
         "softmax was applied before the loss, so the scores were squashed twice: the loss takes the logits "
         "themselves, as they come from the model.")),
        (-picked.mean().item() / logits.shape[1], Mistake("mean-over-table",
                                                  "the mean was taken over every entry of the (N, C) table, not over "
                                                  "the rows: pick one log-probability per row, then .mean().")),
        (-log_probs.mean().item(), Mistake("mean-of-every-class",
                                   "this is the mean log-probability of every class: pick the one at each row's "
                                   "target, log_probs[torch.arange(N), targets].")),
        (-log_probs[:, targets].mean().item(), Mistake("nn-table",
                                               "log_probs[:, targets] makes an (N, N) table, every row at every "
                                               "target: index rows and columns together, "
                                               "log_probs[torch.arange(N), targets].")),
        (-logits.softmax(dim=1)[torch.arange(len(targets)), targets].mean().item(),
         Mistake("probability-not-log", "this is minus the probability itself: take its logarithm.")),
        (-(right - logits.max(dim=1).values).mean().item(),
         Mistake("max-for-logsumexp",
         "the row's largest logit stands in for logsumexp: torch.logsumexp adds in the other classes too.")),
    ]


def _check(cross_entropy, logits: torch.Tensor, targets: torch.Tensor, what: str, expected: float, wrong) -> bool:
    inputs = (logits.clone(), targets.clone())
    loss = expect_scalar(call(cross_entropy, *inputs, describe=what), what,
                         "the mean was taken along one dimension only: .mean() with no argument gives a 0-dim tensor.")
    untouched = expect([values(t) for t in inputs] == [values(logits), values(targets)],
                       f"logits and targets after {what}", "your code changed them", "unchanged",
                       Mistake("changes-inputs",
                       "cross_entropy changed its inputs in place: compute new tensors instead."))
    if loss is None:
        return False
    if not math.isfinite(loss.value):
        return expect(False, what, fmt(loss.value), f"{fmt(expected)}, a finite number", _overflow(loss.value))
    return untouched and expect(close(loss.value, expected), what, fmt(loss.value), fmt(expected),
                                diagnose(loss.value, wrong))


def _overflow(value: float) -> str:
    if math.isnan(value):
        return (Mistake("exp-overflow",
                "exp() overflowed: exp(1000) is inf in float32, and inf / inf is nan. Take the logarithm first: "
                "log softmax = logits - torch.logsumexp(logits, dim=1, keepdim=True)."))
    return (Mistake("log-of-softmax",
            "a probability rounded to 0 in float32, and its log is -inf: softmax(logits).log() is not stable. "
            "Take the logarithm first: log softmax = logits - torch.logsumexp(logits, dim=1, keepdim=True)."))


def _oracle_grad(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    leaf = logits.clone().requires_grad_(True)
    return torch.autograd.grad(F.cross_entropy(leaf, targets), [leaf])[0]


def test_equal_logits_give_ln_c(cross_entropy):
    for n, c in UNIFORM:
        targets = torch.arange(n) % c
        what = f"cross_entropy(torch.zeros({n}, {c}), targets {fmt(values(targets))})"
        zeros = torch.zeros(n, c)
        if not _check(cross_entropy, zeros, targets, what, math.log(c), _wrong(zeros, targets)):
            return


def test_matches_torch_on_random_logits(cross_entropy):
    for logits, targets in RANDOM:
        n, c = logits.shape
        what = f"cross_entropy(logits of shape ({n}, {c}), random, targets {fmt(values(targets))})"
        if not _check(cross_entropy, logits, targets, what, F.cross_entropy(logits, targets).item(),
                      _wrong(logits, targets)):
            return


def test_stays_finite_for_logits_in_the_thousands(cross_entropy):
    logits, targets = LARGE
    what = f"cross_entropy(logits {fmt(values(logits))}, targets {fmt(values(targets))})"
    if not _check(cross_entropy, logits, targets, what, F.cross_entropy(logits, targets).item(), []):
        return
    leaf = logits.clone().requires_grad_(True)
    call(cross_entropy, leaf, targets.clone(), describe=what).backward()
    expected = values(_oracle_grad(logits, targets))
    grad = expect_tensor(leaf.grad, f"logits.grad after ({what}).backward()")
    if grad is not None:
        expect(close(grad.value, expected), f"logits.grad after ({what}).backward()", fmt(grad.value),
               f"{fmt(expected)}, finite", None if all(map(math.isfinite, sum(grad.value, []))) else _overflow(math.nan))


def test_is_a_differentiable_0dim_tensor(cross_entropy):
    logits, targets = RANDOM[0]
    leaf = logits.clone().requires_grad_(True)
    what = "cross_entropy(logits, targets) with logits of shape (6, 4) that require grad"
    loss = expect_scalar(call(cross_entropy, leaf, targets.clone(), describe=what), what)
    if loss is None:
        return
    if not expect(loss.requires_grad, f"({what}).requires_grad", "False", "True",
                  Mistake("cut-from-graph",
                  "the loss was cut out of the graph (.item(), float(), .detach() or torch.tensor(...) around it): "
                  "keep it a tensor computed from logits.")):
        return
    call(cross_entropy, leaf, targets.clone(), describe=what).backward()
    expected = values(_oracle_grad(logits, targets))
    grad = expect_tensor(leaf.grad, f"logits.grad after ({what}).backward()")
    if grad is not None:
        expect(close(grad.value, expected), f"logits.grad after ({what}).backward()", fmt(grad.value),
               f"{fmt(expected)} ((softmax(logits) - one_hot(targets)) / 6)")


def test_refuses_targets_that_are_not_int64_class_indices(cross_entropy):
    logits = RANDOM[0][0][:4, :3].clone()
    for label, targets, shown in BAD_TARGETS:
        what = f"cross_entropy(logits of shape (4, 3), {label})"
        dtype, shape = str(targets.dtype).removeprefix("torch."), tuple(targets.shape)
        result, exc = attempt(cross_entropy, logits.clone(), targets.clone(), describe=what)
        expected = f"ValueError, with {'its dtype ' + dtype if shown != 'shape' else ''}" \
                   f"{' or ' if shown == 'either' else ''}{'its shape ' + str(shape) if shown != 'dtype' else ''} " \
                   "in the message"
        if exc is None:
            ok = expect(False, what, f"returned {show(result)}, no error", expected,
                        Mistake("no-target-check",
                        "the targets were used as they came. Check them first: int64 (torch.long) class "
                        "indices, one per row, shape (N,); raise ValueError for anything else."))
        elif not isinstance(exc, ValueError):
            ok = expect(False, what, f"{type(exc).__name__}: {exc}", expected,
                        Mistake("wrong-exception",
                        "raise ValueError yourself, naming what came, before using the targets as indices."))
        else:
            text = str(exc)
            names = {"dtype": dtype in text, "shape": names_shape(text, shape)}
            ok = expect(names["dtype"] or names["shape"] if shown == "either" else names[shown], what,
                        f"ValueError: {exc}", expected,
                        Mistake("message-without-what",
                        "say in the message what came, for example "
                        "f\"got {targets.dtype} of shape {tuple(targets.shape)}\"."))
        if not ok:
            return
