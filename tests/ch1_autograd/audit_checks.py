"""The audit's checks for chapter 1, the grader's half: what to draw, and what the values must be.

The grader draws the arguments with a generator seeded afresh for each run, sends them to the
learner's code (audit_probes.py says how it is called) and compares what comes back with what
it computes here, with torch as the oracle or a closed form. Nothing in this file is sent.
"""

import math

import torch

from kata.grading.audit import Check, integer, number, uniform


def _f32(x):
    return torch.tensor(x, dtype=torch.float32).item()


# Exercise 03: each function's partial derivatives, in closed form.
DERIVATIVES = {
    "product": lambda a, b: [b, a],
    "sine": lambda a, b, c: [math.sin(b), a * math.cos(b), 2 * c],
    "ignores_b": lambda a, b: [3 * a * a, 0.0],
    "exp": lambda a: [2 * math.exp(2 * a)],
}
ARITY = {"product": 2, "sine": 3, "ignores_b": 2, "exp": 1}


def _draw_gradients(g):
    name = sorted(ARITY)[integer(g, 0, len(ARITY) - 1)]
    return {"f": name, "values": [number(g, -1.5, 1.5) for _ in range(ARITY[name])]}


def _draw_params(g):
    n = integer(g, 2, 4)
    values = [uniform(g, -2, 2, *([integer(g, 1, 3)] if i % 2 else [])).tolist() for i in range(n)]
    grads = [None if i == 1 else (torch.randn(torch.tensor(v).shape, generator=g)).tolist()
             for i, v in enumerate(values)]
    return {"values": values, "grads": grads, "lr": number(g, 0.01, 0.5)}


def _stepped(args):
    values = [torch.tensor(v) for v in args["values"]]
    after = [v if gr is None else v - args["lr"] * torch.tensor(gr) for v, gr in zip(values, args["grads"])]
    return {"values": [v.tolist() for v in after], "grads": args["grads"]}


def _zeroed(args):
    return {"values": args["values"],
            "grads": [None if gr is None else torch.zeros_like(torch.tensor(gr)).tolist() for gr in args["grads"]]}


def _draw_line(g):
    n = integer(g, 4, 10)
    x = uniform(g, -2, 2, n, 1)
    y = number(g, -2, 2) * x + number(g, -1, 1) + 0.1 * torch.randn(n, 1, generator=g)
    return {"x": x, "y": y, "lr": number(g, 0.01, 0.1), "epochs": integer(g, 5, 40)}


def descend(args):
    """Gradient descent on the line from w = b = 0, with the MSE's gradients written out (float32)."""
    x, y, lr = args["x"], args["y"], args["lr"]
    w, b = torch.zeros(()), torch.zeros(())
    losses = []
    for _ in range(args["epochs"]):
        err = w * x + b - y
        losses.append((err**2).mean().item())
        w, b = w - lr * (2 * err * x).mean(), b - lr * (2 * err).mean()
    return {"w": w.item(), "b": b.item(), "losses": losses}


def _draw_shape(g):
    return (integer(g, 1, 6), integer(g, 1, 3))


CHECKS = [
    Check("01", lambda g: {"value": number(g, -100, 100)},
          lambda a: {"value": _f32(a["value"]), "dtype": "torch.float32", "leaf": True, "requires_grad": True,
                     "shape": []}),
    Check("02", lambda g: {"a": number(g), "b": number(g)}, lambda a: [2 * a["a"], 2 * a["b"]]),
    Check("03", _draw_gradients, lambda a: DERIVATIVES[a["f"]](*a["values"])),
    Check("04", lambda g: (lambda shape: {"y_pred": torch.randn(*shape, generator=g),
                                          "y": torch.randn(*shape, generator=g)})(_draw_shape(g)),
          lambda a: ((a["y_pred"].double() - a["y"].double()) ** 2).mean().item()),
    Check("05", lambda g: {}, lambda a: {"values": [0.0, 0.0], "leaves": [True, True],
                                         "requires_grad": [True, True], "same": False}),
    Check("06", lambda g: {"x": uniform(g, -3, 3, integer(g, 1, 6), 1), "w": torch.tensor(number(g)),
                           "b": torch.tensor(number(g))},
          lambda a: (a["w"] * a["x"] + a["b"]).tolist()),
    Check("07", _draw_params, _stepped),
    Check("08", _draw_params, _zeroed),
    Check("09", _draw_line, descend),
]
