"""Exercise 05: init_params() returns (w, b), two separate 0-dim leaves equal to 0.0 that require grad."""

from autograd_support import our_tracked, tracked_problem
from diagnosis_support import earlier_fault
from support import (
    Mistake, call, close, expect, expect_scalar, expect_tensor, expect_tuple, facts, fmt,
    is_tensor, show,
)

WHAT = "init_params()"
NAMES = ("w", "b")


def _right(result: object) -> bool:
    """Whether `result` is two separate 0-dim float32 leaves equal to 0.0 that require grad."""
    if not (isinstance(result, tuple) and len(result) == 2 and result[0] is not result[1]
            and all(is_tensor(t) for t in result)):
        return False
    made = [facts(t) for t in result]
    return all(t.shape == () and t.dtype == "float32" and t.requires_grad and t.is_leaf and t.value == 0.0
               for t in made)


def _params(init_params, record) -> list | None:
    """(w, b) from the learner's init_params(), or None after a failed check (which says
    whether the fault is init_params's own or tracked's, from exercise 01)."""
    run = record(init_params, describe=WHAT, watch=["tracked"])
    if run.error is None and _right(run.result):
        return list(run.result)
    blamed = run.of("tracked") and earlier_fault(
        "init_params", lambda using: _right(record(init_params, describe=WHAT, using=using).result),
        {"tracked": our_tracked}, tracked_problem)
    if blamed:
        got = show(run.result) if run.error is None else f"{type(run.error).__name__}: {run.error}"
        expect(False, WHAT, got, "two separate 0-dim leaves equal to 0.0 that require grad", blamed)
        return None
    if run.error is not None:
        run.reraise(WHAT)
    return expect_tuple(run.result, 2, WHAT, "(w, b)")


def test_returns_two_0dim_float32_zeros(init_params, record):
    items = _params(init_params, record)
    if items is None:
        return
    for name, item in zip(NAMES, items):
        t = expect_scalar(item, f"{name} from {WHAT}")
        if t is not None:
            expect(close(t.value, 0.0), f"{name} from {WHAT}", fmt(t.value), "0.0",
                   Mistake("not-zero",
                   "the line starts flat, at w = 0 and b = 0: make both from 0.0 (random starting "
                   "values such as torch.randn come in later chapters)."))


def test_w_and_b_are_leaves_that_require_grad(init_params, record):
    items = _params(init_params, record)
    if items is None:
        return
    for name, item in zip(NAMES, items):
        t = expect_tensor(item, f"{name} from {WHAT}")
        if t is None:
            continue
        expect(t.requires_grad, f"{name}.requires_grad", "False", "True",
               Mistake("no-requires-grad",
               "torch.tensor(0.0) or torch.zeros(()) alone records nothing, so training could "
               "not compute its gradient: make it with requires_grad=True (tracked(0.0) does)."))
        expect(t.is_leaf, f"{name}.is_leaf", f"False (it was made by {t.grad_fn})", "True",
               Mistake("not-a-leaf",
               "it was computed from another tensor after requires_grad was set (by + 0, * 1, "
               ".float(), indexing or similar), so backward() would not fill its .grad. "
               "Create it in one step: tracked(0.0)."))


def test_w_and_b_are_separate_tensors(init_params, record):
    items = _params(init_params, record)
    if items is None:
        return
    w, b = items
    if not expect(w is not b, f"w and b from {WHAT}", "the same tensor twice", "two separate tensors",
                  Mistake("one-tensor-twice",
                  "returning one tensor as both w and b makes them one parameter: every update to "
                  "w would also move b. Create each one separately: tracked(0.0), tracked(0.0).")):
        return
    if expect_tensor(w, f"w from {WHAT}") is None or expect_tensor(b, f"b from {WHAT}") is None:
        return
    fw, fb = facts(w), facts(b)
    if not (fw.requires_grad and fb.requires_grad and fw.is_leaf and fb.is_leaf and fw.shape == fb.shape == ()):
        expect(False, f"w and b from {WHAT}", f"w = {fw}, b = {fb}",
               "two 0-dim leaves that require grad, so that their gradients can be told apart")
        return
    what = f"w, b = {WHAT}; (2 * w + 3 * b).backward(); [w.grad, b.grad]"
    (2 * w + 3 * b).backward()
    grads = [facts(g).value if g is not None else None for g in (w.grad, b.grad)]
    expect(close(grads, [2.0, 3.0]), what, fmt(grads), "[2.0, 3.0]",
           Mistake("shared-storage",
           "w and b share their gradient: they are views of one tensor. Create each one "
           "separately: tracked(0.0), tracked(0.0)."))


def test_each_call_makes_new_parameters(init_params, record):
    first = _params(init_params, record)
    second = expect_tuple(call(init_params, describe=f"{WHAT}, called a second time"), 2,
                          f"{WHAT}, called a second time", "(w, b)")
    if first is None or second is None:
        return
    expect(
        all(a is not b for a in first for b in second), f"{WHAT} called twice",
        "the second call returned a tensor that the first call had returned", "new tensors every time",
        Mistake("reuses-tensors",
        "the parameters are made once, outside the function, and reused: a second training run "
        "would start where the first one stopped. Create w and b inside init_params()."),
    )
