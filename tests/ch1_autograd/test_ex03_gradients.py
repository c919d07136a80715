"""Exercise 03: gradients(f, *values) returns df/dv for every value, found by one backward()."""

from inspect import Parameter, signature

import torch
from autograd_support import our_tracked, tracked_problem
from diagnosis_support import earlier_fault
from support import (
    Mistake, Run, call, close, diagnose, expect, expect_scalar, expect_tuple, facts, fmt,
    is_tensor, show,
)

_gen = torch.Generator().manual_seed(3)
_a, _b, _c = (torch.rand(3, generator=_gen) * 4 - 2).tolist()
_d = 1 + torch.rand((), generator=_gen).item()

# (how the function reads, the function, the values it is called at)
PRODUCT = ("f(a, b) = a * b", lambda a, b: a * b, (2.0, 3.0))
CASES = [
    ("f(a) = a ** 3", lambda a: a**3, (1.5,)),
    ("f(a, b, c) = a * b + sin(c)", lambda a, b, c: a * b + torch.sin(c), (2.0, 3.0, 0.0)),
    ("f(a, b, c, d) = exp(a) * b - c / d", lambda a, b, c, d: torch.exp(a) * b - c / d, (_a, _b, _c, _d)),
]
IGNORES = ("f(a, b, c) = a * c, which ignores b", lambda a, b, c: a * c, (2.0, 5.0, -1.0))
PLAIN_ZERO = Mistake("plain-zero", "the derivative of the unused b is right, 0, but as a Python number: every "
                     "gradient is a 0-dim tensor like the others, so that the caller can treat them all alike. "
                     "Return torch.zeros_like(t) for it.")


def _oracle(f, values: tuple[float, ...]) -> list[float]:
    """The partial derivatives by torch.autograd.grad; 0 for an input that f does not use."""
    inputs = [torch.tensor(v, requires_grad=True) for v in values]
    grads = torch.autograd.grad(f(*inputs), inputs, allow_unused=True)
    return [0.0 if g is None else g.item() for g in grads]


EXPECTED = {label: _oracle(f, values) for label, f, values in [PRODUCT, *CASES, IGNORES]}


def _watched(f, label: str, count: int):
    """(f, the complaints about its arguments): f notes, once, when it is not called with one
    tracked 0-dim tensor per value, as the arguments of a failed check, to be made once it is
    clear that the fault is not the learner's tracked."""
    complaints: list[tuple[str, str, str, str | None]] = []

    def watched(*args):
        problem = None
        if len(args) != count:
            problem = (f"{len(args)} argument(s): {show(args)}", f"{count} arguments, one per value",
                       Mistake("list-not-unpacked", "f was given the list itself; unpack it: f(*inputs).")
                       if len(args) == 1 and isinstance(args[0], (list, tuple)) else None)
        else:
            for arg in args:
                if not is_tensor(arg):
                    problem = (show(arg), "a 0-dim tensor that requires grad, one per value",
                               Mistake("numbers-not-tensors",
                               "f was called with the numbers themselves; make a tracked tensor of "
                               "each value first: inputs = [tracked(v) for v in values]."))
                    break
                t = facts(arg)
                if not (t.shape == () and t.requires_grad and t.is_leaf):
                    problem = (str(t), "a 0-dim leaf tensor that requires grad, one per value",
                               Mistake("inputs-not-tracked",
                               "make each input with tracked(v) from exercise 01, and pass those "
                               "same tensors to f, so that backward() fills their .grad."))
                    break
        if problem and not complaints:
            complaints.append((f"the arguments your code passed to f ({label})", *problem))
        return f(*args)

    return watched, complaints


def _wrong(values: tuple[float, ...], expected: list[float]) -> list[tuple[list[float], str]]:
    wrong = [(list(values), Mistake("returned-values",
                            "these are the values themselves: after backward(), return the .grad "
                            "of the tensor made from each value."))]
    if len(values) > 1:
        wrong.append((expected[::-1], Mistake("reversed-order",
                                      "the gradients are in reverse order: return them in the "
                                      "order of values.")))
    wrong.append(([2 * g for g in expected], Mistake("twice-too-big", "every gradient is twice too big.")))
    return wrong


def _what(label: str, values: tuple[float, ...]) -> str:
    return f"gradients(f, {', '.join(fmt(v) for v in values)}) with {label}"


def _right(result: object, expected: list[float]) -> bool:
    """Whether `result` is one 0-dim float32 tensor per value, holding the expected gradients."""
    if not (isinstance(result, tuple) and len(result) == len(expected) and all(is_tensor(g) for g in result)):
        return False
    grads = [facts(g) for g in result]
    return all(g.shape == () and g.dtype == "float32" for g in grads) and close([g.value for g in grads], expected)


def _observed(run: Run, count: int) -> str | None:
    """The mistake that the calls of the learner's code single out, if they do."""
    backward = run.of("backward")
    if not backward:
        return (Mistake("no-backward",
                "backward() was never called, so no tensor got a .grad (each is still None). Call "
                "backward() on f's result, then read the .grad of each input."))
    if len(backward) > 1:
        return (Mistake("backward-many-times",
                f"backward() was called {len(backward)} times, and each call adds to .grad: call it "
                "once, on f's result."))
    if len(run.of("tracked")) > count:
        return (Mistake("tracked-count",
                f"tracked was called {len(run.of('tracked'))} times for {count} value(s): make one "
                "tracked tensor per value, pass those to f, and read the .grad of the same ones."))
    leaves = [made.result for made in run.of("tracked")]
    result = run.result if isinstance(run.result, tuple) else ()
    if len(result) == count == len(leaves) and all(is_tensor(t) and t.is_leaf for t in leaves):
        if all(r is t for r, t in zip(result, leaves)):
            return (Mistake("returned-tensors",
                    "the tensors made from the values came back themselves, not their gradients: "
                    "return the .grad of each."))
        if count > 1 and all(r is t.grad for r, t in zip(result, reversed(leaves))):
            return Mistake("reversed-order", "the gradients are in reverse order: return them in the order of values.")
    return None


def _changed_signature(gradients, error: Exception) -> str | None:
    """What to say when gradients raised TypeError because its `def` line no longer takes *values."""
    if not isinstance(error, TypeError):
        return None
    try:
        params = signature(gradients).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is Parameter.VAR_POSITIONAL for p in params):
        return None
    return (Mistake("fixed-signature",
            f"the def line was changed to gradients{signature(gradients)}, which takes a fixed "
            "number of values. Keep the stub's gradients(f, *values): *values takes any number of "
            "values, as a tuple."))


def _check(gradients, record, label: str, f, values: tuple[float, ...]) -> bool:
    what = _what(label, values)
    expected = EXPECTED[label]
    watched, complaints = _watched(f, label, len(values))
    run = record(gradients, watched, *values, describe=what, watch=["tracked"])
    if run.error is None and _right(run.result, expected):
        return True
    blamed = run.of("tracked") and earlier_fault(
        "gradients", lambda using: _right(record(gradients, f, *values, describe=what, using=using).result, expected),
        {"tracked": our_tracked}, tracked_problem)
    if blamed:
        got = show(run.result) if run.error is None else f"{type(run.error).__name__}: {run.error}"
        return expect(False, what, got, fmt(expected), blamed)
    for complaint in complaints:
        expect(False, *complaint)
    if run.error is not None:
        changed = _changed_signature(gradients, run.error)
        if changed:
            return expect(False, what, f"{type(run.error).__name__}: {run.error}", fmt(expected), changed)
        run.reraise(what)
    observed = _observed(run, len(values))
    if observed:
        return expect(False, what, show(run.result), fmt(expected), observed)
    example = "(" + ", ".join(f"g{i}" for i in range(len(values))) + ("," if len(values) == 1 else "") + ")"
    items = expect_tuple(run.result, len(values), what, example)
    if items is None:
        return False
    scalars = [expect_scalar(item, f"{what}[{i}]") for i, item in enumerate(items)]
    if any(s is None for s in scalars):
        return False
    got = [s.value for s in scalars]
    return expect(close(got, expected), what, fmt(got), fmt(expected), diagnose(got, _wrong(values, expected)))


def test_product_at_2_and_3_gives_3_and_2(gradients, record):
    _check(gradients, record, *PRODUCT)


def test_any_function_of_any_number_of_values(gradients, record):
    for label, f, values in CASES:
        if not _check(gradients, record, label, f, values):
            return  # one failing function is enough to read


def test_a_value_that_f_ignores_gets_a_zero_tensor(gradients):
    label, f, values = IGNORES
    what = _what(label, values)
    watched, complaints = _watched(f, label, len(values))
    try:
        result = call(gradients, watched, *values, describe=what)
    finally:
        for complaint in complaints:
            expect(False, *complaint)
    if isinstance(result, (tuple, list)) and len(result) == len(values) - 1:
        expect(False, what, show(result), "3 gradients, the middle one tensor(0.)",
               Mistake("dropped-none-grad",
               "the gradient of b was left out because its .grad is None. Every value gets a "
               "gradient: put torch.zeros_like(t) in place of a missing one."))
        return
    items = expect_tuple(result, len(values), what, "(ga, gb, gc)")
    if items is None:
        return
    ignored = items[1]
    if ignored is None or isinstance(ignored, (int, float)):
        expect(False, f"the gradient of b, the second of the gradients from {what}", show(ignored),
               "tensor(0.), a 0-dim tensor",
               Mistake("none-grad",
               "f never uses b, so autograd never reaches it and its .grad stays None. Its derivative "
               "is still a number, 0: return torch.zeros_like(t) for it.") if ignored is None else
               PLAIN_ZERO if ignored == 0 else None)
        return
    scalars = [expect_scalar(item, f"{what}[{i}]") for i, item in enumerate(items)]
    if any(s is None for s in scalars):
        return
    got = [s.value for s in scalars]
    expect(close(got, EXPECTED[label]), what, fmt(got), fmt(EXPECTED[label]),
           diagnose(got, _wrong(values, EXPECTED[label])))


def test_gradients_come_from_backward(gradients, spy):
    backward = spy(torch.autograd, "backward")
    label, f, values = PRODUCT
    call(gradients, f, *values, describe=_what(label, values))
    expect(
        backward.count >= 1, f"{_what(label, values)}, counting calls of backward()",
        "backward() was never called", "backward() called on f's result",
        Mistake("no-autograd",
        "the gradients were found without autograd's backward(). Call f on tracked tensors, then "
        "backward() on its result, and read each tensor's .grad."),
    )
