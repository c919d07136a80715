"""Exercise 08: zero_grad(params) fills every existing .grad with zeros in place and leaves None alone."""

import math

import torch
from support import (
    Mistake, attempt, call, close, expect, facts, fmt, generator_mistake, handing_out, reraise, show, values,
)

_gen = torch.Generator().manual_seed(8)
SHAPES = [(), (3,), (2, 2)]
START = [values(torch.randn(s, generator=_gen)) for s in SHAPES]
GRADS = [values(torch.randn(s, generator=_gen)) for s in SHAPES]
ZEROS = [values(torch.zeros(s)) for s in SHAPES]


def _param(value, grad=None) -> torch.Tensor:
    """A leaf parameter that requires grad, with its .grad set (or None)."""
    p = torch.tensor(value, requires_grad=True)
    if grad is not None:
        p.grad = torch.tensor(grad)
    return p


def _check_cleared(name: str, p: torch.Tensor, grad: torch.Tensor, start, old_grad, zeros, what: str) -> bool:
    """p.grad is still `grad`, now all zeros, and p itself kept its value."""
    if p.grad is None:
        return expect(False, f"{name}.grad after {what}", "None", f"the same tensor as before, holding {fmt(zeros)}",
                      Mistake("grad-set-to-none",
                      "p.grad = None removes the gradient instead of clearing it. Clear the tensor "
                      "that is there, in place: p.grad.zero_()."))
    if p.grad is not grad:
        return expect(False, f"{name}.grad after {what}", f"a new tensor, holding {fmt(facts(p.grad).value)}",
                      "the same tensor as before, now holding zeros",
                      Mistake("new-grad-tensor",
                      "a new tensor was put in p.grad (by an assignment such as p.grad = "
                      "torch.zeros_like(p.grad)). Clear the one "
                      "that is there, in place, so that everything holding it sees zeros: p.grad.zero_()."))
    now, kept = facts(grad).value, facts(p).value
    if close(kept, zeros) and not close(start, zeros):
        mistake = (Mistake("zeroed-parameter",
                   "the parameter was set to zero, not its gradient: p.zero_() clears p, "
                   "p.grad.zero_() clears its gradient."))
    elif close(now, old_grad):
        mistake = (Mistake("rebinds-grad",
                   "the gradient still holds its old values. If your code says `g = p.grad * 0` or "
                   "`g = torch.zeros_like(g)`, that only points a local name at a new tensor; change "
                   "the gradient itself: p.grad.zero_(), with the parentheses."))
    else:
        mistake = None
    grad_ok = expect(close(now, zeros), f"{name}.grad after {what}", fmt(now), fmt(zeros), mistake)
    return expect(close(kept, start), f"{name} itself after {what}", fmt(kept), f"{fmt(start)}, unchanged",
                  mistake) and grad_ok


def test_existing_grads_become_zeros_in_place(zero_grad):
    params = [_param(s, g) for s, g in zip(START, GRADS)]
    grads = [p.grad for p in params]
    what = f"zero_grad([p0, p1, p2]) with gradients of shapes {SHAPES}"
    result = call(zero_grad, params, describe=what)
    held = [facts(grad).value if p.grad is grad else None for p, grad in zip(params, grads)]
    cleared = [f"p{i}" for i, (now, z) in enumerate(zip(held, ZEROS)) if now is not None and close(now, z)]
    left = [f"p{i}" for i, (now, g) in enumerate(zip(held, GRADS)) if now is not None and close(now, g)]
    if cleared and left:
        expect(False, f"the gradients after {what}", f"{' and '.join(cleared)} cleared, {' and '.join(left)} unchanged",
               "every one cleared", Mistake("some-not-cleared",
                                    "zero_grad cleared some gradients and left the others as they were: "
               "clear each parameter's gradient, in one loop over params."))
    else:
        for i, (p, grad, s, g, z) in enumerate(zip(params, grads, START, GRADS, ZEROS)):
            if not _check_cleared(f"p{i}", p, grad, s, g, z, what):
                break  # one failing parameter is enough to read
    expect(result is None, f"the value returned by {what}", show(result), "None",
           Mistake("returns-value", "zero_grad clears the gradients in place and returns nothing."))


def test_grads_that_are_none_stay_none(zero_grad):
    p0, p1, p2 = _param(1.0, 2.0), _param(5.0), _param(-1.0, 3.0)
    grads = (p0.grad, p2.grad)
    what = "zero_grad([p0, p1, p2]) where p1.grad is None"
    _, exc = attempt(zero_grad, [p0, p1, p2], describe=what)
    if exc is not None:
        if "NoneType" in str(exc):
            expect(False, f"p1.grad after {what}", f"{type(exc).__name__}: {exc}", "None, left alone",
                   Mistake("none-grad-used",
                   "the code used p1.grad, which is None: a parameter without a gradient has "
                   "nothing to clear, so skip it (if p.grad is not None: p.grad.zero_())."))
        reraise(exc, what)
    expect(p1.grad is None, f"p1.grad after {what}", show(p1.grad), "None",
           Mistake("grad-made",
           "a gradient was made for a parameter that had none. Leave it None: there is nothing "
           "to clear (if p.grad is not None: p.grad.zero_())."))
    for name, p, grad, start, old in (("p0", p0, grads[0], 1.0, 2.0), ("p2", p2, grads[1], -1.0, 3.0)):
        if p.grad is not None and close(facts(p.grad).value, old):
            expect(False, f"{name}.grad after {what}", fmt(old), "0.0",
                   Mistake("stopped-at-none",
                   "the loop stopped at the parameter without a gradient (break, or return): skip "
                   "that one and clear the others.") if name == "p2" else None)
        elif not _check_cleared(name, p, grad, start, old, 0.0, what):
            break


NOT_FINITE = [math.nan, math.inf, -math.inf]
ARITHMETIC = Mistake("nan-survives",
                     "the gradient held NaN or infinity, and arithmetic on those stays NaN: NaN * 0, inf * 0 and inf - "
                     "inf are all NaN, so multiplying by zero (or subtracting the gradient from itself) does not clear "
                     "it. Write zeros into it: p.grad.zero_().")


def test_nan_and_infinite_grads_become_zeros_too(zero_grad):
    p = _param([1.0, 2.0, 3.0], NOT_FINITE)
    grad = p.grad
    what = "zero_grad([p]) where p.grad holds [nan, inf, -inf] (a step that diverged)"
    call(zero_grad, [p], describe=what)
    if p.grad is not grad:
        _check_cleared("p", p, grad, [1.0, 2.0, 3.0], NOT_FINITE, [0.0] * 3, what)
        return
    now = facts(grad).value
    expect(close(now, [0.0] * 3), f"p.grad after {what}", fmt(now), "[0.0, 0.0, 0.0]",
           ARITHMETIC if all(math.isnan(v) for v in now) else None)


def _grads(params: list[torch.Tensor]) -> list:
    return [facts(p.grad).value if p.grad is not None else None for p in params]


def test_params_can_be_a_generator(zero_grad):
    params = [_param(1.0, 2.0), _param(3.0, -1.0)]
    what = "zero_grad((p for p in [p0, p1])), params being a generator"
    generator, handed = handing_out(params)
    call(zero_grad, generator, describe=what)
    if close(_grads(params), [0.0, 0.0]):
        return
    same = [_param(1.0, 2.0), _param(3.0, -1.0)]
    call(zero_grad, same, describe="zero_grad([p0, p1])")
    expect(False, f"[p0.grad, p1.grad] after {what}", fmt(_grads(params)), "[0.0, 0.0]",
           generator_mistake(handed, close(_grads(same), [0.0, 0.0])))
