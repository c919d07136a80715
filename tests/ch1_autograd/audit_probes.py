"""The audit's probes for chapter 1: how the grader's driver calls the learner's code.

Each probe(get, args) gets the learner's functions by name (`get("train")`) and the arguments
the grader drew, calls the learner's code and returns what it gave as plain values (numbers,
lists, bools). A probe holds no expected value: the grader compares (audit_checks.py).
"""

import torch

# The functions that exercise 03's audit differentiates, named by the grader.
FUNCTIONS = {
    "product": lambda a, b: a * b,
    "sine": lambda a, b, c: a * torch.sin(b) + c**2,
    "ignores_b": lambda a, b: a**3,
    "exp": lambda a: torch.exp(2 * a),
}


def _floats(tensors):
    return [float(t) for t in tensors]


def tracked(get, args):
    t = get("tracked")(args["value"])
    return {"value": t.item(), "dtype": str(t.dtype), "leaf": t.is_leaf, "requires_grad": t.requires_grad,
            "shape": list(t.shape)}


def sum_of_squares_grads(get, args):
    return _floats(get("sum_of_squares_grads")(args["a"], args["b"]))


def gradients(get, args):
    return _floats(get("gradients")(FUNCTIONS[args["f"]], *args["values"]))


def mse_loss(get, args):
    return float(get("mse_loss")(args["y_pred"], args["y"]))


def init_params(get, args):
    w, b = get("init_params")()
    return {"values": [w.item(), b.item()], "leaves": [w.is_leaf, b.is_leaf],
            "requires_grad": [w.requires_grad, b.requires_grad], "same": w is b}


def predict(get, args):
    return get("predict")(args["x"], args["w"], args["b"]).tolist()


def _params(args):
    params = [torch.tensor(v, requires_grad=True) for v in args["values"]]
    for p, g in zip(params, args["grads"]):
        p.grad = None if g is None else torch.tensor(g)
    return params


def _state(params):
    return {"values": [p.tolist() for p in params],
            "grads": [None if p.grad is None else p.grad.tolist() for p in params]}


def sgd_step(get, args):
    params = _params(args)
    get("sgd_step")(params, args["lr"])
    return _state(params)


def zero_grad(get, args):
    params = _params(args)
    get("zero_grad")(params)
    return _state(params)


def train(get, args):
    w, b, losses = get("train")(args["x"], args["y"], args["lr"], args["epochs"])
    return {"w": float(w), "b": float(b), "losses": [float(v) for v in losses]}


PROBES = {"01": tracked, "02": sum_of_squares_grads, "03": gradients, "04": mse_loss, "05": init_params,
          "06": predict, "07": sgd_step, "08": zero_grad, "09": train}
