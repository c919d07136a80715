"""The audit's probes for chapter 3: how the grader's driver calls the learner's code.

Each probe(get, args) gets the learner's functions and classes by name and the arguments the
grader drew (images and weights travel as tensors), calls the learner's code and returns what
it gave as plain values. A probe holds no expected value: the grader compares (audit_checks.py).
"""

import io
import os
import tempfile

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


def load_digits(get, args):
    x, y = get("load_digits")(args["path"])
    return {"shapes": [list(x.shape), list(y.shape)], "dtypes": [str(x.dtype), str(y.dtype)],
            "x": x[args["rows"]].tolist(), "y": y[args["rows"]].tolist(), "total": float(x.sum()),
            "counts": torch.bincount(y, minlength=10).tolist()}


def split(get, args):
    return [t.tolist() for t in get("split")(args["x"], args["y"], args["val_fraction"], args["seed"])]


def conv2d(get, args):
    leaves = [t.clone().requires_grad_() for t in (args["x"], args["weight"], args["bias"]) if t is not None]
    out = get("conv2d")(leaves[0], leaves[1], leaves[2] if len(leaves) == 3 else None, stride=args["stride"],
                        padding=args["padding"])
    upstream = torch.randn(out.shape, generator=torch.Generator().manual_seed(args["upstream_seed"]))
    grads = torch.autograd.grad((out * upstream).sum(), leaves)
    return {"out": out.tolist(), "grads": [g.tolist() for g in grads]}


def conv_layer(get, args):
    layer = get("Conv2d")(args["in"], args["out"], args["k"], stride=args["stride"], padding=args["padding"],
                          bias=args["bias"])
    params = sorted([name, list(p.shape), isinstance(p, nn.Parameter)] for name, p in layer.named_parameters())
    init = layer.weight.detach().flatten().tolist()
    with torch.no_grad():
        layer.weight.copy_(args["weight"])
        if args["bias"]:
            layer.bias.copy_(args["b"])
        out = layer(args["x"])
    return {"params": params, "init": init, "bias_none": layer.bias is None, "out": out.tolist()}


def max_pool2d(get, args):
    return get("max_pool2d")(args["x"], args["k"]).tolist()


def cnn(get, args):
    model = get("CNN")()
    shapes = sorted([name, list(t.shape)] for name, t in model.state_dict().items())
    parameters = sum(p.numel() for p in model.parameters())
    model.load_state_dict(args["state"])
    with torch.no_grad():
        out = model(args["x"])
    return {"shapes": shapes, "parameters": parameters, "out": out.tolist()}


def adam(get, args):
    params = [torch.tensor(v, requires_grad=True) for v in args["values"]]
    optimizer = get("Adam")(params, lr=args["lr"], betas=tuple(args["betas"]), eps=args["eps"])
    for grads in args["steps"]:
        for p, grad in zip(params, grads):
            p.grad = None if grad is None else torch.tensor(grad)
        optimizer.step()
    values = [p.tolist() for p in params]
    optimizer.zero_grad()
    return {"values": values, "cleared": [p.grad is None or not bool(p.grad.any()) for p in params]}


def confusion_matrix(get, args):
    matrix = get("confusion_matrix")(args["logits"], args["targets"], args["num_classes"])
    return {"matrix": matrix.tolist(), "dtype": str(matrix.dtype)}


def _linear(weight, bias):
    model = nn.Linear(*weight.shape[::-1])
    with torch.no_grad():
        model.weight.copy_(weight)
        model.bias.copy_(bias)
    return model


def fit(get, args):
    model = _linear(args["weight"], args["bias"])
    train = DataLoader(TensorDataset(args["x"], args["y"]), batch_size=args["batch_size"])
    val = DataLoader(TensorDataset(args["x_val"], args["y_val"]), batch_size=args["batch_size"])
    history = get("fit")(model, train, val, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=args["lr"]),
                         args["epochs"], args["patience"])
    return {"history": {key: history[key] if key == "best_epoch" else [float(v) for v in history[key]]
                        for key in ("train_loss", "val_loss", "val_accuracy", "best_epoch")},
            "weight": model.weight.tolist(), "bias": model.bias.tolist()}


def _trained(args):
    """A linear layer and its Adam, a step taken per gradient the grader drew: a state worth saving."""
    model = _linear(args["weight"], args["bias"])
    optimizer = torch.optim.Adam(model.parameters(), lr=args["lr"])
    for grads in args["grads"]:
        for p, grad in zip(model.parameters(), grads):
            p.grad = grad.clone()
        optimizer.step()
    return model, optimizer


def _contents(model_state: dict, optimizer_state: dict, epoch) -> dict:
    state, group = optimizer_state["state"], optimizer_state["param_groups"][0]
    return {"epoch": epoch, "model": {k: v.tolist() for k, v in model_state.items()}, "lr": group["lr"],
            "adam": [[float(state[i]["step"]), state[i]["exp_avg"].tolist(), state[i]["exp_avg_sq"].tolist()]
                     for i in sorted(state)]}


class _Scratch:
    """Where a checkpoint goes: a file in a fresh temporary folder when this process may write one
    (the path given to the learner's code), or else a buffer in memory, which torch.save and
    torch.load take as well."""

    def __enter__(self):
        self.folder = None
        for base in (tempfile.gettempdir(), os.getcwd()):
            if os.access(base, os.W_OK):
                self.folder = tempfile.TemporaryDirectory(dir=base)
                return os.path.join(self.folder.name, "checkpoint.pt")
        return io.BytesIO()

    def __exit__(self, *exc):
        if self.folder is not None:
            self.folder.cleanup()


def save_checkpoint(get, args):
    model, optimizer = _trained(args)
    with _Scratch() as path:
        get("save_checkpoint")(path, model, optimizer, args["epoch"])
        if not isinstance(path, str):
            path.seek(0)
        saved = torch.load(path)
    return {"keys": sorted(saved), **_contents(saved["model"], saved["optimizer"], saved["epoch"])}


def load_checkpoint(get, args):
    model, optimizer = _trained(args)
    fresh = _linear(args["other_weight"], args["other_bias"])
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=args["lr"] * 2)
    with _Scratch() as path:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args["epoch"]}, path)
        if not isinstance(path, str):
            path.seek(0)
        epoch = get("load_checkpoint")(path, fresh, fresh_optimizer)
    return _contents(fresh.state_dict(), fresh_optimizer.state_dict(), epoch)


def train_digits(get, args):
    model, _ = get("train_digits")(args["pixels"].float() / 16, args["y"], epochs=args["epochs"], seed=args["seed"])
    with torch.no_grad():
        predicted = model(args["pixels_test"].float() / 16).argmax(dim=1)
    return {"predicted": predicted.tolist()}


PROBES = {"22": load_digits, "23": split, "24": conv2d, "25": conv_layer, "26": max_pool2d, "27": cnn, "28": adam,
          "29": confusion_matrix, "30": fit, "31": save_checkpoint, "32": load_checkpoint, "33": train_digits}
