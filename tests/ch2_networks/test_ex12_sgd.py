"""Exercise 12: SGD(params, lr) steps like torch.optim.SGD without momentum; zero_grad() clears every gradient."""

import torch
from diagnosis_support import quietly
from nn_support import linear
from support import Mistake, attempt, call, close, diagnose, expect, facts, fmt, show, values
from torch import nn

SHAPES = [(), (3,), (2, 2)]
LRS = [0.1, 0.5]
IN_PLACE_ERROR = "leaf Variable that requires grad is being used in an in-place operation"
NO_GRAD = (Mistake("update-recorded",
           "step() changed a parameter in place while autograd was recording, which autograd refuses for a "
           "leaf that requires grad. Do the update inside `with torch.no_grad():`."))


def _params(seed: int) -> list[torch.Tensor]:
    """Leaf parameters of SHAPES, each with a gradient, from a seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(shape, generator=gen).requires_grad_() for shape in SHAPES]
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen)
    return params


def _twins(params: list[torch.Tensor]) -> list[torch.Tensor]:
    twins = [p.detach().clone().requires_grad_() for p in params]
    for twin, p in zip(twins, params):
        twin.grad = None if p.grad is None else p.grad.clone()
    return twins


def _step(optimizer, what: str) -> bool:
    """optimizer.step(); False after a failed check when autograd refused the update."""
    _, exc = attempt(optimizer.step, describe=what)
    if exc is None:
        return True
    if not (isinstance(exc, RuntimeError) and IN_PLACE_ERROR in str(exc)):
        raise exc
    expect(False, what, f"RuntimeError: {exc}", "the parameters updated in place", NO_GRAD)
    return False


def _zero_grad(optimizer, what: str) -> bool:
    """optimizer.zero_grad(); False after a failed check when it tripped over a gradient that is None."""
    _, exc = attempt(optimizer.zero_grad, describe=what)
    if exc is None:
        return True
    if not (isinstance(exc, AttributeError) and "'NoneType'" in str(exc)):
        raise exc
    expect(False, what, f"AttributeError: {exc}", "every gradient cleared",
           Mistake("zero-grad-none",
           "zero_grad() met a parameter whose .grad is None (before the first backward(), every one is): "
           "skip those (if p.grad is not None), or set p.grad = None for all of them."))
    return False


def _wrong(p: list, g: list, lr: float) -> list[tuple[object, str]]:
    """Where the usual mistakes leave one parameter that started at p with gradient g."""
    return [
        (p, Mistake("rebinds-p",
            "the parameter did not change. `p = p - lr * p.grad` makes a new tensor and points the name p at "
            "it; the parameter stays as it was. Change it in place, inside torch.no_grad(): p -= lr * p.grad.")),
        (values(torch.tensor(p) + lr * torch.tensor(g)), Mistake("wrong-sign",
                                                         "the parameter moved uphill, with its gradient: "
                                                          "subtract, p -= lr * p.grad.")),
        (values(torch.tensor(p) - torch.tensor(g)), Mistake("no-lr",
                                                    "the parameter moved by the whole gradient: multiply it by lr.")),
        (values(torch.tensor(p) - 2 * lr * torch.tensor(g)), Mistake("moved-twice",
                                                             "the parameter moved twice as far: update each "
                                                              "parameter once per step.")),
    ]


def test_step_moves_every_parameter_like_torch_optim_sgd(SGD):
    for seed, lr in enumerate(LRS, start=120):
        params = _params(seed)
        start = [values(p) for p in params]
        grads = [values(p.grad) for p in params]
        twins = _twins(params)
        torch.optim.SGD(twins, lr=lr).step()
        what = f"SGD([p0, p1, p2], lr={lr}).step() with parameters of shapes {SHAPES}"
        optimizer = call(SGD, params, lr, describe=f"SGD([p0, p1, p2], lr={lr})")
        if not _step(optimizer, what):
            return
        for i, (p, twin) in enumerate(zip(params, twins)):
            got, expected = facts(p).value, values(twin)
            if not expect(close(got, expected), f"p{i} after {what}", fmt(got), f"{fmt(expected)} (torch.optim.SGD's)",
                          diagnose(got, _wrong(start[i], grads[i], lr))):
                return  # one wrong parameter is enough to read
        after = facts(params[2])
        expect(after.requires_grad and after.is_leaf, f"p2 after {what}", str(after),
               "still a leaf that requires grad",
               Mistake("update-recorded",
               "the update was recorded by autograd or switched requires_grad off: do it in place inside "
               "`with torch.no_grad():`."))
        expect(params[2].grad is not None and close(facts(params[2].grad).value, grads[2]),
               f"p2.grad after {what}", show(params[2].grad), f"{fmt(grads[2])}, as before the step",
               Mistake("grad-changed",
               "step() changed the gradients. torch.optim.SGD leaves them for zero_grad(), which "
               "clears them when the next round begins."))


def test_step_skips_parameters_without_gradient(SGD):
    params = _params(122)
    params[1].grad = None
    start = values(params[1])
    what = "SGD([p0, p1, p2], lr=0.1).step() where p1.grad is None"
    optimizer = call(SGD, params, 0.1, describe="SGD([p0, p1, p2], lr=0.1)")
    twins = _twins(params)
    torch.optim.SGD(twins, lr=0.1).step()
    _, exc = attempt(optimizer.step, describe=what)
    if exc is not None:
        if isinstance(exc, RuntimeError) and IN_PLACE_ERROR in str(exc):
            expect(False, what, f"RuntimeError: {exc}", "the parameters updated in place", NO_GRAD)
            return
        if not isinstance(exc, TypeError):
            raise exc
        expect(False, what, f"{type(exc).__name__}: {exc}", "p1 skipped, p0 and p2 updated",
               Mistake("none-grad-used",
               "a parameter without a gradient has nothing to follow: skip it (if p.grad is None: continue)."))
        return
    expect(close(facts(params[1]).value, start) and params[1].grad is None, f"p1 after {what}",
           f"{fmt(facts(params[1]).value)}, with p1.grad = {show(params[1].grad)}",
           f"{fmt(start)}, with p1.grad still None",
           Mistake("grad-made",
           "a parameter without a gradient has nothing to follow: skip it, and leave its .grad None."))
    for i in (0, 2):
        expect(close(facts(params[i]).value, values(twins[i])), f"p{i} after {what}", fmt(facts(params[i]).value),
               f"{fmt(values(twins[i]))} (torch.optim.SGD's)",
               Mistake("stopped-at-none",
               "the loop stopped at the parameter without a gradient (break, or return): skip only that "
               "one, with `continue`.") if i == 2 and close(facts(params[i]).value, values(_params(122)[2]))
               and close(facts(params[0]).value, values(twins[0])) else None)


def test_zero_grad_clears_so_the_next_backward_starts_fresh(SGD):
    gen = torch.Generator().manual_seed(123)
    w = torch.randn(3, generator=gen).requires_grad_()
    a, b = torch.randn(3, generator=gen), torch.randn(3, generator=gen)
    start = values(w)
    optimizer = call(SGD, [w], 0.1, describe="SGD([w], lr=0.1)")
    (w * a).sum().backward()
    what = "optimizer.zero_grad() after (w * a).sum().backward()"
    if not _zero_grad(optimizer, what):
        return
    cleared = w.grad is None or close(facts(w.grad).value, [0.0] * 3)
    expect(close(facts(w).value, start), f"w after {what}", fmt(facts(w).value), f"{fmt(start)}, unchanged",
           Mistake("zeroed-parameter", "zero_grad() changed the parameter itself: clear p.grad, not p."))
    if not expect(cleared, f"w.grad after {what}", show(w.grad), "None, or a tensor of zeros",
                  Mistake("grad-not-cleared",
                  "zero_grad() left the gradient as it was: set p.grad = None (or p.grad.zero_()) for every "
                  "parameter kept in __init__.")):
        return
    (w * b).sum().backward()
    got = facts(w.grad).value
    expect(close(got, values(b)), "w.grad after zero_grad() and then (w * b).sum().backward()", fmt(got),
           f"{fmt(values(b))}, the gradient of the second backward() alone")


def test_params_can_be_a_generator_read_once(SGD):
    gen = torch.Generator().manual_seed(124)
    x, y = torch.randn(8, 3, generator=gen), torch.randn(8, 1, generator=gen)
    model, twin = linear(3, 1, 124), linear(3, 1, 124)
    loss_fn = nn.MSELoss()
    steps = 3
    what = f"SGD(model.parameters(), lr=0.1), {steps} rounds of zero_grad, backward and step on nn.Linear(3, 1)"
    optimizer = call(SGD, model.parameters(), 0.1, describe="SGD(model.parameters(), lr=0.1)")
    reference = torch.optim.SGD(twin.parameters(), lr=0.1)
    after: dict[int, list] = {0: values(twin.weight)}
    for n in range(1, steps + 1):
        if not _zero_grad(optimizer, f"optimizer.zero_grad() in round {n} of {what}"):
            return
        loss_fn(model(x), y).backward()
        if not _step(optimizer, f"optimizer.step() in round {n} of {what}"):
            return
        reference.zero_grad()
        loss_fn(twin(x), y).backward()
        reference.step()
        after[n] = values(twin.weight)
    got = facts(model.weight).value
    mistake = None
    if (close(got, after[1]) or close(got, after[0])) and close(quietly(_weight_with_a_list, SGD, x, y, steps),
                                                                 after[steps]):
        mistake = (Mistake("generator-read-once",
                   f"{'only the first step' if close(got, after[1]) else 'no step'} moved the weight. "
                   "model.parameters() is a generator, which can be read only once: the first loop over it "
                   "(in step, zero_grad, or a check in __init__) read it to the end, and every later loop found "
                   "it empty. Read it once into a list in __init__, self.params = list(params), and loop over "
                   "that list."))
    expect(close(got, after[steps]), f"model.weight after {what}", fmt(got),
           f"{fmt(after[steps])} (torch.optim.SGD's)", mistake)


def _weight_with_a_list(SGD, x: torch.Tensor, y: torch.Tensor, steps: int) -> list:
    """The weight of a fresh nn.Linear(3, 1) after `steps` rounds with SGD(list(model.parameters()), lr=0.1)."""
    model = linear(3, 1, 124)
    optimizer = SGD(list(model.parameters()), 0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        optimizer.step()
    return values(model.weight)


def test_no_parameters_raise_value_error(SGD):
    for label, make in (("SGD([], lr=0.1), an empty list", lambda: []),
                        ("SGD(nn.Sequential().parameters(), lr=0.1), a model with no parameters",
                         lambda: nn.Sequential().parameters())):
        _, exc = attempt(SGD, make(), 0.1, describe=label)
        if isinstance(exc, ValueError):
            continue
        listed = isinstance(attempt(SGD, [], 0.1, describe="SGD([], lr=0.1)")[1], ValueError)
        if exc is None:
            mistake = (Mistake("generator-truthy",
                       "a generator is true even when it is empty, so `if not params` never fires for one: "
                       "make the list first, then check the list.")) if listed else (
                       Mistake("no-empty-check",
                       "an optimizer without parameters would silently do nothing: check the list made in "
                       "__init__ and raise ValueError when it is empty."))
            got = "no error"
        else:
            mistake = Mistake("wrong-exception",
                      "raise ValueError yourself when the list of parameters is empty, before anything else.")
            got = f"{type(exc).__name__}: {exc}"
        expect(False, label, got, "ValueError", mistake)
        return
