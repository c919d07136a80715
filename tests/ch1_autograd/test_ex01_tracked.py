"""Exercise 01: tracked(value) makes a 0-dim float32 leaf that records operations."""

import torch
from support import Mistake, call, close, expect, expect_tensor, fmt

VALUES = [2.0, -1.5, 0.0]


def _shape_mistake(record, tracked, value: float, shape: tuple[int, ...]) -> str | None:
    if shape != (1,):
        return None
    run = record(tracked, value, describe=f"tracked({value})", watch=[(torch, "tensor")])
    if any(isinstance(c.arg(0, "data"), (list, tuple)) for c in run.of("torch.tensor")):
        return Mistake("wrapped-in-a-list",
               "the value was wrapped in a list, like torch.tensor([value]); pass the number itself.")
    return (Mistake("shape-1-not-0dim",
            "shape (1,) is one dimension holding one number; a 0-dim tensor has no dimension at "
            "all: torch.tensor(value) makes one from the number itself."))


def test_returns_a_0dim_float32_tensor_holding_the_value(tracked, record):
    for v in VALUES:
        what = f"tracked({v})"
        t = expect_tensor(call(tracked, v, describe=what), what)
        if t is None:
            return
        shape_ok = expect(t.shape == (), f"{what}.shape", str(t.shape), "() (a 0-dim tensor)",
                          _shape_mistake(record, tracked, v, t.shape))
        dtype_ok = expect(t.dtype == "float32", f"{what}.dtype", t.dtype, "float32",
                          Mistake("wrong-dtype",
                          "pass dtype=torch.float32 to torch.tensor (or don't ask for another dtype)."))
        value_ok = not shape_ok or expect(close(t.value, v), f"{what} holds", fmt(t.value), fmt(v),
                                          Mistake("wrong-value",
                                                  "the tensor must hold exactly the value it was given."))
        if not (shape_ok and dtype_ok and value_ok):
            return  # one failing input is enough to read


def test_records_operations_as_a_leaf(tracked):
    what = "tracked(2.0)"
    t = expect_tensor(call(tracked, 2.0, describe=what), what)
    if t is None:
        return
    expect(t.requires_grad, f"{what}.requires_grad", str(t.requires_grad), "True",
           Mistake("no-requires-grad",
                   "torch.tensor(value) alone does not record operations: pass requires_grad=True."))
    expect(
        t.is_leaf, f"{what}.is_leaf", f"{t.is_leaf} (it was made by {t.grad_fn})", "True",
        Mistake("not-a-leaf",
        "the tensor is not a leaf: it was computed from another tensor (by * 1, .float(), .clone() "
        "or similar) after requires_grad was set. Create it with requires_grad=True in one step."),
    )


def test_backward_fills_its_grad(tracked):
    what = "t = tracked(3.0); (t * t).backward(); t.grad"
    t = call(tracked, 3.0, describe="tracked(3.0)")
    made = expect_tensor(t, "tracked(3.0)")
    if made is None:
        return
    if not made.requires_grad:
        expect(False, what, "backward() is impossible: t does not require grad", "6.0",
               Mistake("no-requires-grad", "pass requires_grad=True to torch.tensor."))
        return
    if not made.is_leaf:
        expect(False, what, "None: t is not a leaf, so backward() does not fill its .grad", "6.0",
               Mistake("not-a-leaf",
               "create the tensor with requires_grad=True in one step, not computed from another tensor."))
        return
    (t * t).backward()
    grad = expect_tensor(t.grad, what)
    if grad is not None:
        expect(close(grad.value, 6.0), what, fmt(grad.value), "6.0")


def test_each_call_makes_a_new_tensor(tracked):
    first = call(tracked, 1.0, describe="tracked(1.0)")
    second = call(tracked, 1.0, describe="tracked(1.0)")
    expect(
        first is not second, "tracked(1.0) called twice", "the same tensor both times",
        "two separate tensors",
        Mistake("reuses-tensors",
        "the function reuses one tensor (a global or a cached value). Every call must create a "
        "new one, or gradients from one use leak into the next."),
    )
