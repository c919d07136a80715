"""The audit's probes for chapter 2: how the grader's driver calls the learner's code.

Each probe(get, args) gets the learner's functions and classes by name and the arguments the
grader drew (a layer's weights travel as tensors), calls the learner's code and returns what it
gave as plain values. A probe holds no expected value: the grader compares (audit_checks.py).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def fit_line(get, args):
    layer, losses = get("fit_line")(args["x"], args["y"], args["lr"], args["epochs"])
    return {"w": float(layer.weight), "b": float(layer.bias), "losses": [float(v) for v in losses]}


def linear(get, args):
    layer = get("Linear")(args["in"], args["out"], bias=args["bias"])
    params = sorted([name, list(p.shape), isinstance(p, nn.Parameter)] for name, p in layer.named_parameters())
    init = layer.weight.detach().flatten().tolist()
    with torch.no_grad():
        layer.weight.copy_(args["weight"])
        if args["bias"]:
            layer.bias.copy_(args["b"])
    return {"params": params, "init": init, "bias_none": layer.bias is None, "out": layer(args["x"]).tolist()}


def sgd(get, args):
    params = [torch.tensor(v, requires_grad=True) for v in args["values"]]
    for p, g in zip(params, args["grads"]):
        p.grad = None if g is None else torch.tensor(g)
    optimizer = get("SGD")(params, args["lr"])
    optimizer.step()
    after = [p.tolist() for p in params]
    optimizer.zero_grad()
    return {"values": after, "cleared": [p.grad is None or not bool(p.grad.any()) for p in params]}


def relu(get, args):
    return get("relu")(args["x"]).tolist()


def mlp(get, args):
    model = get("MLP")(args["sizes"])
    layers = [m for m in model.modules() if isinstance(getattr(m, "weight", None), torch.Tensor)]
    shapes = [[list(m.weight.shape), None if m.bias is None else list(m.bias.shape)] for m in layers]
    with torch.no_grad():
        for m, (w, b) in zip(layers, args["state"]):
            m.weight.copy_(w)
            m.bias.copy_(b)
    return {"shapes": shapes, "parameters": len(list(model.parameters())), "out": model(args["x"]).tolist()}


def cross_entropy(get, args):
    return float(get("cross_entropy")(args["logits"], args["targets"]))


def accuracy(get, args):
    return float(get("accuracy")(args["logits"], args["targets"]))


def make_loader(get, args):
    loader = get("make_loader")(args["x"], args["y"], args["batch_size"], shuffle=args["shuffle"],
                                seed=args["seed"])
    return [[[xb.tolist(), yb.tolist()] for xb, yb in loader] for _ in range(2)]


def _model(args):
    model = nn.Linear(*args["weight"].shape[::-1])
    with torch.no_grad():
        model.weight.copy_(args["weight"])
        model.bias.copy_(args["bias"])
    return model


def train_epoch(get, args):
    model = _model(args)
    model.eval()
    loader = DataLoader(TensorDataset(args["x"], args["y"]), batch_size=args["batch_size"])
    optimizer = torch.optim.SGD(model.parameters(), lr=args["lr"])
    mean = get("train_epoch")(model, loader, nn.functional.cross_entropy, optimizer)
    return {"mean": float(mean), "weight": model.weight.tolist(), "bias": model.bias.tolist(),
            "training": model.training}


def evaluate(get, args):
    model = _model(args)
    loader = DataLoader(TensorDataset(args["x"], args["y"]), batch_size=args["batch_size"])
    loss, acc = get("evaluate")(model, loader, nn.functional.cross_entropy)
    return {"loss": float(loss), "accuracy": float(acc), "weight": model.weight.tolist(),
            "grads": [p.grad is None for p in model.parameters()], "training": model.training}


def two_moons(get, args):
    points, labels = get("two_moons")(args["n"], args["noise"], args["seed"])
    return {"points": points.tolist(), "labels": labels.tolist(), "dtypes": [str(points.dtype), str(labels.dtype)]}


def train_classifier(get, args):
    predicted = []
    for run in args["runs"]:
        model, _ = get("train_classifier")(run["x"], run["y"], seed=run["seed"])
        with torch.no_grad():
            predicted.append(model(run["x_test"]).argmax(dim=1).tolist())
    return {"predicted": predicted}


PROBES = {"10": fit_line, "11": linear, "12": sgd, "13": relu, "14": mlp, "15": cross_entropy, "16": accuracy,
          "17": make_loader, "18": train_epoch, "19": evaluate, "20": two_moons, "21": train_classifier}
