"""Exercise 07: sgd_step(params, lr) does p -= lr * p.grad in place, unrecorded, skipping params without a grad."""

import torch
from support import (
    Mistake, attempt, call, close, diagnose, expect, facts, fmt, generator_mistake, handing_out, reraise, show,
    values,
)

# The docstring's example: p = 1 with p.grad = 2 and lr = 0.1 becomes 0.8.
EXAMPLE = (1.0, 2.0, 0.1, 0.8)

_gen = torch.Generator().manual_seed(7)
SHAPES = [(), (3,), (2, 2)]
START = [torch.randn(s, generator=_gen) for s in SHAPES]
GRADS = [torch.randn(s, generator=_gen) for s in SHAPES]
LRS = [0.1, 0.5, 0.03]
EXPECTED = {lr: [values(p - lr * g) for p, g in zip(START, GRADS)] for lr in LRS}


def _param(value, grad=None) -> torch.Tensor:
    """A leaf parameter that requires grad, with its .grad set (or None)."""
    p = torch.tensor(value, requires_grad=True)
    if grad is not None:
        p.grad = torch.tensor(grad)
    return p


def _wrong(p, g, lr: float) -> list[tuple[object, str]]:
    """Where the usual mistakes leave a parameter, with what each one means."""
    return [
        (values(p), Mistake("rebinds-p",
                    "the parameter did not change. If your code says `p = p - lr * p.grad`, that "
                    "makes a new tensor and points the local name p at it; the parameter itself "
                    "stays as it was. Change it in place, inside torch.no_grad(): p -= lr * p.grad "
                    "(or p.sub_(lr * p.grad)).")),
        (values(p + lr * g), Mistake("wrong-sign",
                             "the parameter moved uphill, with the gradient: the sign is wrong. "
                             "Subtract: p -= lr * p.grad.")),
        (values(p - g), Mistake("no-lr", "the parameter moved by the whole gradient: multiply it by lr.")),
        (values(p - lr), Mistake("no-grad-factor", "the parameter moved by lr alone: multiply lr by p.grad.")),
        (values(p - 0.01 * g), Mistake("fixed-lr", "the step used 0.01 whatever lr was: use the lr argument.")),
        (values(p - 2 * lr * g), Mistake("moved-twice",
                                 "the parameter moved twice as far: update each parameter once.")),
    ]


EXAMPLE_WRONG = _wrong(torch.tensor(EXAMPLE[0]), torch.tensor(EXAMPLE[1]), EXAMPLE[2])
WRONG = {lr: [_wrong(p, g, lr) for p, g in zip(START, GRADS)] for lr in LRS}


def _some_move(sgd_step) -> list[tuple[object, str]] | None:
    """Whether sgd_step moves some of three parameters and not others, as the wrong answer
    that says so: a parameter that did not move has more than one cause."""
    params = [_param(*EXAMPLE[:2]) for _ in range(3)]
    what = f"sgd_step([p0, p1, p2], lr={EXAMPLE[2]})"
    call(sgd_step, params, EXAMPLE[2], describe=what)
    moved = [f"p{i}" for i, q in enumerate(params) if not close(facts(q).value, EXAMPLE[0])]
    if not moved or len(moved) == len(params):
        return None
    kept = [f"p{i}" for i, q in enumerate(params) if close(facts(q).value, EXAMPLE[0])]
    return [(EXAMPLE[0], Mistake("some-not-moved",
                         f"{what}, each with the same gradient, moved {' and '.join(moved)} but left "
                         f"{' and '.join(kept)} where it was: every parameter with a gradient must move."))]


def _check_moved(name: str, p: torch.Tensor, expected, wrong, what: str) -> bool:
    got = facts(p).value
    return expect(close(got, expected), f"{name} after {what}", fmt(got), fmt(expected), diagnose(got, wrong))


def test_p_1_with_grad_2_and_lr_0_1_becomes_0_8(sgd_step):
    start, grad, lr, expected = EXAMPLE
    p = _param(start, grad)
    what = f"sgd_step([p], lr={lr}) with p = {start} and p.grad = {grad}"
    result = call(sgd_step, [p], lr, describe=what)
    wrong = EXAMPLE_WRONG
    if close(facts(p).value, start):
        if p.grad is not None and not close(facts(p.grad).value, grad):
            wrong = [(start, Mistake("updated-grad",
                             f"p.grad changed (it now holds {fmt(facts(p.grad).value)}) and p did not: "
                             "the update went to the gradient. Change the parameter: p -= lr * p.grad."))]
        else:
            wrong = _some_move(sgd_step) or wrong
    _check_moved("p", p, expected, wrong, what)
    expect(result is None, f"the value returned by {what}", show(result), "None",
           Mistake("returns-value", "sgd_step changes the parameters themselves, in place, and returns nothing."))


def test_every_parameter_moves_against_its_gradient(sgd_step):
    for lr in LRS:
        params = [_param(values(p), values(g)) for p, g in zip(START, GRADS)]
        what = f"sgd_step([p0, p1, p2], lr={lr}) with parameters of shapes {SHAPES}"
        call(sgd_step, params, lr, describe=what)
        moved = [_check_moved(f"p{i}", p, e, w, what)
                 for i, (p, e, w) in enumerate(zip(params, EXPECTED[lr], WRONG[lr]))]
        if not all(moved):
            return  # one failing learning rate is enough to read


def test_parameters_stay_leaves_that_require_grad(sgd_step):
    p = _param(1.0, 2.0)
    what = "sgd_step([p], lr=0.1)"
    call(sgd_step, [p], 0.1, describe=what)
    after = facts(p)
    expect(after.requires_grad, f"p.requires_grad after {what}", "False", "True",
           Mistake("requires-grad-off",
           "the update switched requires_grad off (with .detach_(), .requires_grad_(False) or by "
           "setting p.requires_grad), so the next backward() cannot reach p. Use "
           "`with torch.no_grad():` to keep autograd out of the update instead."))
    expect(after.is_leaf, f"p.is_leaf after {what}", f"False (made by {after.grad_fn})", "True",
           Mistake("update-recorded",
           "autograd recorded the update, so p became the result of a computation. Do the update "
           "inside `with torch.no_grad():`."))
    expect(torch.is_grad_enabled(), f"autograd after {what}", "switched off", "switched on",
           Mistake("grad-mode-left-off",
           "autograd was switched off for everything that follows (torch.set_grad_enabled(False) "
           "or torch.no_grad() used without `with`). `with torch.no_grad():` switches it back on "
           "when the block ends."))


def test_grad_is_left_as_it_was(sgd_step):
    p = _param(1.0, 2.0)
    grad = p.grad
    what = "sgd_step([p], lr=0.1) with p.grad = 2.0"
    call(sgd_step, [p], 0.1, describe=what)
    if not expect(p.grad is not None, f"p.grad after {what}", "None", "the same tensor as before, still 2.0",
                  Mistake("grad-removed",
                  "sgd_step removed the gradient (p.grad = None). Clearing it is zero_grad's job, "
                  "exercise 08: leave p.grad alone here.")):
        return
    kept = facts(grad).value
    expect(p.grad is grad and close(kept, 2.0), f"p.grad after {what}",
           f"{'the same' if p.grad is grad else 'a new'} tensor, holding {fmt(facts(p.grad).value)}",
           "the same tensor as before, still 2.0",
           Mistake("grad-cleared",
           "sgd_step cleared or replaced the gradient. Clearing it is zero_grad's job, exercise "
           "08: leave p.grad alone here."))


def test_parameters_without_grad_are_skipped(sgd_step):
    p0, p1, p2 = _param(1.0, 2.0), _param(5.0), _param(-1.0, 1.0)
    what = "sgd_step([p0, p1, p2], lr=0.1) where p1.grad is None"
    _, exc = attempt(sgd_step, [p0, p1, p2], 0.1, describe=what)
    if exc is not None:
        if "NoneType" in str(exc):
            expect(False, f"p1 after {what}", f"{type(exc).__name__}: {exc}", "5.0, with p1.grad still None",
                   Mistake("none-grad-used",
                   "the update used p1.grad, which is None: skip parameters whose .grad is None "
                   "(if p.grad is None: continue)."))
        reraise(exc, what)
    expect(close(facts(p1).value, 5.0) and p1.grad is None, f"p1 after {what}",
           f"{fmt(facts(p1).value)}, with p1.grad = {show(p1.grad)}", "5.0, with p1.grad still None",
           Mistake("none-grad-moved",
           "a parameter without a gradient has nothing to follow: skip it (if p.grad is None: continue)."))
    for name, p, expected in (("p0", p0, 0.8), ("p2", p2, -1.1)):
        expect(close(facts(p).value, expected), f"{name} after {what}", fmt(facts(p).value), fmt(expected),
               Mistake("stopped-at-none",
               "the loop stopped at the parameter without a gradient (break, or return): skip "
               "that one with `continue` and update the others.") if name == "p2" else None)


def test_params_can_be_a_generator(sgd_step):
    params = [_param(1.0, 2.0), _param(3.0, -1.0)]
    what = "sgd_step((p for p in [p0, p1]), lr=0.1), params being a generator"
    generator, handed = handing_out(params)
    call(sgd_step, generator, 0.1, describe=what)
    got = [facts(p).value for p in params]
    if close(got, [0.8, 3.1]):
        return
    same = [_param(1.0, 2.0), _param(3.0, -1.0)]
    call(sgd_step, same, 0.1, describe="sgd_step([p0, p1], lr=0.1)")
    expect(False, f"[p0, p1] after {what}", fmt(got), "[0.8, 3.1]",
           generator_mistake(handed, close([facts(p).value for p in same], [0.8, 3.1])))
