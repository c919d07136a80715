"""Exercise 28: Adam behaves like torch.optim.Adam (within 1e-6 over 10 steps): per-parameter moments with bias
correction, each parameter counting its own steps; skips parameters without a gradient; params read once; ValueError
when empty; not built on torch.optim."""

import torch
from support import Mistake, attempt, call, close, diagnose, expect, fmt, handing_out, values
from vision_support import randn

LR, BETAS, EPS = 0.01, (0.9, 0.999), 1e-8
STEPS = 10
SCALES = torch.tensor([1.0, 1e-2, 1e-4, 10.0])  # gradients of every size: eps shows beside the smallest


def _gradients() -> list[torch.Tensor]:
    return [randn(4, seed=280 + t) * SCALES for t in range(STEPS)]


def _variant(grads: list[torch.Tensor], correct_m=True, correct_v=True, eps_inside=False, one_minus_beta2=True,
             one_minus_beta1=True, no_sqrt=False) -> torch.Tensor:
    """Where a parameter starting at 0 ends after the scripted gradients, by Adam with or without a mistake."""
    (b1, b2), p, m, v = BETAS, torch.zeros(4), torch.zeros(4), torch.zeros(4)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + ((1 - b1) if one_minus_beta1 else 1) * g
        v = b2 * v + ((1 - b2) if one_minus_beta2 else 1) * g**2
        m_hat = m / (1 - b1**t) if correct_m else m
        v_hat = v / (1 - b2**t) if correct_v else v
        denominator = (v_hat + EPS).sqrt() if eps_inside else (v_hat + EPS if no_sqrt else v_hat.sqrt() + EPS)
        p = p - LR * m_hat / denominator
    return p


WRONG = [
    (dict(correct_m=False, correct_v=False), Mistake("no-bias-correction", "there is no bias correction: m and v start "
                                                                           "at 0 and are too small in the first steps; "
                                                                           "divide them by (1 - beta1 ** t) and (1 - "
                                                                           "beta2 ** t), t the parameter's own step "
                                                                           "count.")),
    (dict(correct_m=False), Mistake("m-not-corrected", "only v is bias-corrected: m_hat = m / (1 - beta1 ** t) too.")),
    (dict(correct_v=False), Mistake("v-not-corrected", "only m is bias-corrected: v_hat = v / (1 - beta2 ** t) too.")),
    (dict(eps_inside=True), Mistake("eps-inside-sqrt", "eps is inside the square root: the step is lr * m_hat / "
                                                       "(sqrt(v_hat) + eps), eps added after the root.")),
    (dict(one_minus_beta2=False), Mistake("no-one-minus-beta2", "(1 - beta2) is missing: v = beta2 * v + (1 - beta2) * "
                                                                "grad ** 2.")),
    (dict(one_minus_beta1=False), Mistake("no-one-minus-beta1", "(1 - beta1) is missing: m = beta1 * m + (1 - beta1) * "
                                                                "grad.")),
    (dict(no_sqrt=True), Mistake("no-sqrt", "the square root is missing: divide by sqrt(v_hat) + eps, the gradient's "
                                            "typical size, not by v_hat.")),
]


def _scripted(Adam, grads: list[torch.Tensor]):
    """The learner's Adam on a parameter of 4 numbers with the scripted gradients: (positions after each step)."""
    p = torch.zeros(4, requires_grad=True)
    optimizer = Adam([p], lr=LR, betas=BETAS, eps=EPS)
    seen = []
    for g in grads:
        p.grad = g.clone()
        optimizer.step()
        seen.append(values(p))
    return seen


def test_steps_like_torch_optim_adam(Adam):
    grads = _gradients()
    what = (f"Adam([p], lr={LR}) with p = zeros(4), stepped {STEPS} times with gradients of sizes 1, 1e-2, 1e-4 and "
            "10 in its four entries")
    seen = call(_scripted, Adam, grads, describe=what)
    expected = [values(_variant(grads[:t])) for t in range(1, STEPS + 1)]
    first_wrong = next((t for t, (a, b) in enumerate(zip(seen, expected)) if not close(a, b, 1e-6)), None)
    if first_wrong is None:
        return
    mistake = diagnose(seen[-1], [(values(_variant(grads, **flags)), text) for flags, text in WRONG], 1e-6)
    expect(False, f"p after step {first_wrong + 1} of {what}", fmt(seen[first_wrong]), fmt(expected[first_wrong]),
           mistake)


def test_constant_gradient_moves_lr_per_step(Adam):
    p = torch.zeros(1, requires_grad=True)
    what = f"Adam([p], lr={LR}) with p = 0 and the gradient 0.5 at every step"
    optimizer = call(Adam, [p], LR, describe=what)
    moves = []
    for _ in range(3):
        p.grad = torch.tensor([0.5])
        call(optimizer.step, describe=f"step() of {what}")
        moves.append(-values(p)[0] / LR)
    expect(close(moves, [1.0, 2.0, 3.0], 1e-4), f"how far p moved, in units of lr, after each of 3 steps of {what}",
           fmt(moves), "[1.0, 2.0, 3.0]: with a constant gradient bias-corrected Adam moves exactly lr per step",
           Mistake("no-bias-correction", "without bias correction the first step is 3.16 lr long: divide m and v by (1 "
                                         "- beta ** t).")
           if close(moves[0], 3.1623, 1e-3) else None)


def test_each_parameter_counts_its_own_steps_and_none_is_skipped(Adam):
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    ta, tb = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    what = f"Adam([a, b], lr={LR}), where b has no gradient for the first 3 steps (b.grad is None)"
    mine, theirs = call(Adam, [a, b], LR, describe=what), torch.optim.Adam([ta, tb], lr=LR)
    for t in range(6):
        for p, q in ((a, ta), (b, tb)):
            g = randn(*p.shape, seed=290 + t) if (p is a or t >= 3) else None
            p.grad, q.grad = g, None if g is None else g.clone()
        call(mine.step, describe=f"step() of {what}")
        theirs.step()
        if t == 2 and not expect(values(b) == [0.0] * 3, f"b after 3 steps of {what}", fmt(values(b)),
                                 "[0.0, 0.0, 0.0]", Mistake("none-grad-not-skipped", "a parameter whose .grad is None "
                                                                                     "is skipped: `if p.grad is None: "
                                                                                     "continue`.")):
            return
    expect(close(values(b), values(tb), 1e-6), f"b after 6 steps of {what}", fmt(values(b)), fmt(values(tb)),
           Mistake("shared-step-count", "b's first step was corrected as if it were its fourth: each parameter counts "
                                        "its own steps, from its first gradient (keep a step count in each parameter's "
                                        "state)."))
    expect(close(values(a), values(ta), 1e-6), f"a after 6 steps of {what}", fmt(values(a)), fmt(values(ta)))


def test_updates_in_place_outside_autograd(Adam):
    p = torch.ones(3, requires_grad=True)
    what = "p after Adam([p]).step() with p.grad set"
    optimizer = call(Adam, [p], describe="Adam([p])")
    p.grad = torch.ones(3)
    call(optimizer.step, describe="Adam([p]).step()")
    expect(p.is_leaf and p.grad_fn is None and p.requires_grad, what,
           f"is_leaf={p.is_leaf}, requires_grad={p.requires_grad}", "still a leaf that requires grad",
           Mistake("step-recorded", "the update was recorded by autograd: do it inside `with torch.no_grad():`, in "
                                    "place (p -= ...)."))
    expect(values(p) != [1.0] * 3, what, fmt(values(p)), "moved", Mistake("step-not-in-place", "step() changed "
                                                                                               "nothing: update p in "
                                                                                               "place (p -= ... or "
                                                                                               "p.add_(...)), not a "
                                                                                               "new tensor bound to a "
                                                                                               "local name."))


def test_zero_grad_params_generator_and_empty(Adam):
    p = torch.ones(2, requires_grad=True)
    gen, handed = handing_out([p])
    optimizer = call(Adam, gen, 0.1, describe="Adam(a generator of one parameter, lr=0.1)")
    p.grad = torch.ones(2)
    call(optimizer.step, describe="step() of Adam(a generator of one parameter)")
    expect(values(p) != [1.0, 1.0], "p after one step of Adam(a generator of one parameter)", fmt(values(p)), "moved",
           Mistake("generator-read-twice", "a generator gives its items once: read params into a list in __init__ and "
                                           "keep the list."))
    call(optimizer.zero_grad, describe="zero_grad()")
    expect(p.grad is None or values(p.grad) == [0.0, 0.0], "p.grad after zero_grad()",
           "None" if p.grad is None else fmt(values(p.grad)),
           "None or zeros", Mistake("grads-not-cleared", "zero_grad clears every gradient: p.grad = None (or "
                                                         "p.grad.zero_())."))
    _, exc = attempt(Adam, [], describe="Adam([])")
    expect(isinstance(exc, ValueError), "Adam([])", "no error" if exc is None else f"{type(exc).__name__}: {exc}",
           "ValueError", Mistake("empty-params-accepted", "an optimizer with nothing to optimise is a mistake: raise "
                                                          "ValueError when params is empty."))
