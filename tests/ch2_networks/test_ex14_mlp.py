"""Exercise 14: MLP(sizes) registers a linear layer per pair of sizes, with relu between them and none after the last."""

import torch
from diagnosis_support import NO_SUPER, missing_super, quietly, substitute
from nn_support import correct_relu, seed_parameters
from support import Mistake, attempt, call, close, expect, expect_tensor, facts, fmt, show
from torch import nn

SIZES = [2, 16, 16, 2]
OTHER_SIZES = [[3, 5], [4, 8, 6, 3]]
SEED = 140
PIECES = (("Linear", "11", nn.Linear), ("relu", "13", correct_relu))
PROBABILITIES = Mistake("softmax-output", "every row of the output is positive and sums to 1: forward ends in "
                        "softmax, which turns the logits into probabilities. Return the last layer's output as it "
                        "is; the loss (exercise 15) applies softmax itself.")
TANH_LAST = Mistake("tanh-everywhere", "tanh after every layer, the last too: the model needs relu between its "
                    "layers, and none after the last, whose outputs are logits, free to take any value.")
TANH_BETWEEN = Mistake("tanh-between", "tanh between the layers: this MLP uses relu there (your relu from "
                       "exercise 13).")


def _shapes(sizes: list[int]) -> list[tuple[int, ...]]:
    """The parameter shapes of the contract's MLP, in order: weight (out, in), bias (out,), layer by layer."""
    return [shape for a, b in zip(sizes[:-1], sizes[1:]) for shape in ((b, a), (b,))]


def _make(MLP, sizes: list[int]) -> nn.Module | None:
    what = f"MLP({sizes})"
    model, exc = attempt(MLP, sizes, describe=what)
    if exc is not None:
        if not missing_super(exc):
            raise exc
        expect(False, what, f"{type(exc).__name__}: {exc}", "a model", NO_SUPER)
        return None
    if not isinstance(model, nn.Module):
        expect(False, what, show(model), "an nn.Module", Mistake("not-a-module",
                                                         "MLP must be a subclass of nn.Module: class MLP(nn.Module)."))
        return None
    return model


def _hidden_layers(model: nn.Module) -> list[str]:
    """Attributes of `model` that are plain lists or tuples holding modules."""
    return [name for name, value in vars(model).items()
            if isinstance(value, (list, tuple)) and any(isinstance(v, nn.Module) for v in value)]


def _chain(x: torch.Tensor, params: list[torch.Tensor], after: list[bool], before: bool = False,
           activation=correct_relu) -> list:
    """x through the layers (weight, bias pairs), with `activation` (relu) after layer i where after[i]; on x
    first if before."""
    with torch.no_grad():
        h = activation(x) if before else x
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if after[i // 2]:
                h = activation(h)
        return h.tolist()


def _probabilities(got: object) -> bool:
    """Whether `got` is rows of positive numbers that each sum to 1, as softmax gives."""
    return (isinstance(got, list) and all(isinstance(row, list) and row for row in got)
            and all(all(isinstance(v, float) and v > 0 for v in row) and close(sum(row), 1.0) for row in got))


def _forward_check(MLP, sizes: list[int], x: torch.Tensor):
    """(got, expected, wrong) for the learner's MLP(sizes) on x with seeded parameters; None if it cannot be run."""
    model = MLP(sizes)
    params = list(model.parameters())
    if [tuple(p.shape) for p in params] != _shapes(sizes):
        return None
    seed_parameters(model, SEED)
    out = model(x.clone())
    got = facts(out).value if isinstance(out, torch.Tensor) else out
    layers = len(sizes) - 1
    hidden = [True] * (layers - 1)
    expected = _chain(x, params, hidden + [False])
    wrong = [(_chain(x, params, [False] * layers), Mistake("no-relu",
                                                   "no relu between the layers: the model is then one affine "
                                                   "function, however many layers it has. Apply relu after every "
                                                   "layer but the last.")),
             (_chain(x, params, hidden + [True]), Mistake("relu-after-last",
                                                  "a relu after the last layer too: the outputs are logits, which "
                                                  "must be free to be negative. Leave the last layer's output as it is.")),
             (_chain(x, params, [True] * layers, activation=torch.tanh), TANH_LAST),
             (_chain(x, params, hidden + [False], activation=torch.tanh), TANH_BETWEEN)]
    if layers > 1:
        wrong.append((_chain(x, params, hidden + [False], before=True),
                      Mistake("relu-on-input",
                      "relu was applied to the input before the first layer: it goes after each layer but the last.")))
    return got, expected, wrong


def _whose_fault(monkeypatch, learner_module, MLP, sizes, x) -> str | None:
    """When the MLP is right with correct pieces in place of the learner's Linear or relu, which piece is wrong."""
    for name, ex_id, correct in PIECES:
        with monkeypatch.context() as m:
            if substitute(m, learner_module(name), name, correct):
                check = quietly(_forward_check, MLP, sizes, x)
                if check is not None and close(check[0], check[1]):
                    return (Mistake("earlier-exercise",
                            f"your MLP is right: with a correct {name} in place of yours it gives the expected "
                            f"logits. Your {name} (exercise {ex_id}) is wrong: fix exercise {ex_id} first."))
    return None


def _check_parameters(MLP, sizes: list[int], monkeypatch, learner_module) -> bool:
    model = _make(MLP, sizes)
    if model is None:
        return False
    got = [tuple(p.shape) for p in model.parameters()]
    expected = _shapes(sizes)
    if got == expected:
        return True
    mistake = None
    hidden = _hidden_layers(model)
    if not got and hidden:
        mistake = (Mistake("plain-list",
                   f"the layers are in a plain Python list (self.{hidden[0]}), which nn.Module does not look "
                   "into: parameters() yields nothing, so no optimizer would ever train them. Hold them in an "
                   "nn.ModuleList (or nn.Sequential)."))
    elif not got:
        mistake = Mistake("no-layers",
                  "no layer was registered: assign the layers to self, in an nn.ModuleList, in __init__.")
    elif len(got) == len(expected) - 2:
        mistake = (Mistake("missing-layer",
                   "one layer is missing: there is one layer per pair of neighbouring sizes, "
                   "zip(sizes[:-1], sizes[1:]), so MLP([2, 16, 16, 2]) has three."))
    else:
        for name, ex_id, correct in PIECES[:1]:
            with monkeypatch.context() as m:
                if substitute(m, learner_module(name), name, correct) and \
                        quietly(lambda: [tuple(p.shape) for p in MLP(sizes).parameters()]) == expected:
                    mistake = (Mistake("earlier-exercise",
                               f"your MLP is right: with nn.Linear in place of your Linear the shapes are right. "
                               f"Your Linear (exercise {ex_id}) is wrong: fix exercise {ex_id} first."))
    return expect(False, f"the shapes of MLP({sizes}).parameters(), in order", str(got), str(expected), mistake)


def test_parameters_yields_every_layer(MLP, monkeypatch, learner_module):
    _check_parameters(MLP, SIZES, monkeypatch, learner_module)


def test_any_list_of_sizes(MLP, monkeypatch, learner_module):
    for sizes in OTHER_SIZES:
        if not _check_parameters(MLP, sizes, monkeypatch, learner_module):
            return
        what = f"MLP({sizes}) on x of shape (5, {sizes[0]})"
        out = expect_tensor(call(MLP(sizes), torch.ones(5, sizes[0]), describe=what), what)
        if out is None or not expect(out.shape == (5, sizes[-1]), f"the shape of {what}", str(out.shape),
                                     str((5, sizes[-1])), Mistake("wrong-output-size",
                                                          "the last layer maps to sizes[-1], one logit per class.")):
            return


def test_forward_is_the_layers_with_relu_between(MLP, monkeypatch, learner_module):
    for sizes in (SIZES, OTHER_SIZES[0]):
        x = torch.randn(4, sizes[0], generator=torch.Generator().manual_seed(SEED)) * 1.5
        check = call(_forward_check, MLP, sizes, x, describe=f"MLP({sizes}) on x of shape (4, {sizes[0]})")
        if check is None:
            return  # the shapes are wrong, which test_parameters_yields_every_layer explains
        got, expected, wrong = check
        what = f"MLP({sizes}) with seeded parameters, on x of shape (4, {sizes[0]})"
        if close(got, expected):
            continue
        mistake = next((why for value, why in wrong if close(got, value)), None)
        if mistake is None and _probabilities(got):
            mistake = PROBABILITIES
        if mistake is None:
            mistake = _whose_fault(monkeypatch, learner_module, MLP, sizes, x)
        expect(False, what, fmt(got), f"{fmt(expected)} (the layers in order, relu between them)", mistake)
        return


def test_is_not_affine(MLP):
    gen = torch.Generator().manual_seed(SEED + 1)
    a, b = torch.randn(6, 2, generator=gen) * 1.5, torch.randn(6, 2, generator=gen) * 1.5
    model = _make(MLP, SIZES)
    if model is None or [tuple(p.shape) for p in model.parameters()] != _shapes(SIZES):
        return
    seed_parameters(model, SEED + 1)
    outs = [facts(call(model, t, describe=f"MLP({SIZES})")).value for t in (a, b, (a + b) / 2)]
    halfway = [[(u + v) / 2 for u, v in zip(ra, rb)] for ra, rb in zip(outs[0], outs[1])]
    expect(not close(outs[2], halfway, 1e-4), f"MLP({SIZES}) at the midpoints (a + b) / 2 of random a and b",
           f"{fmt(outs[2])}, exactly halfway between its outputs at a and b",
           "something else: a network with relus bends, so its output at a midpoint is not the midpoint of its "
           "outputs",
           Mistake("affine",
           "the model is affine: without a nonlinearity between them, layers compose to a single affine "
           "function (x @ A.T + a) @ B.T + b = x @ (B @ A).T + (a @ B.T + b). Put relu after every layer but the last."))


def test_calls_your_relu(MLP, spy, learner_module):
    relu = spy(learner_module("relu"), "relu")
    model = _make(MLP, SIZES)
    if model is None:
        return
    call(model, torch.ones(3, 2), describe=f"MLP({SIZES}) on x of shape (3, 2)")
    expect(relu.count >= len(SIZES) - 2, f"calls of your relu during one forward of MLP({SIZES})", str(relu.count),
           f"{len(SIZES) - 2}, one after each hidden layer",
           Mistake("own-relu-not-used",
           "the MLP must use your relu from exercise 13 (from .ex13_relu import relu), between its layers.")
           if relu.count == 0 else None)


def test_gradients_reach_every_parameter(MLP):
    model = _make(MLP, SIZES)
    if model is None or not list(model.parameters()):
        return
    seed_parameters(model, SEED + 2)
    out = call(model, torch.randn(5, 2, generator=torch.Generator().manual_seed(SEED + 2)),
               describe=f"MLP({SIZES}) on x of shape (5, 2)")
    if expect_tensor(out, f"MLP({SIZES}) on x of shape (5, 2)") is None:
        return
    out.sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    expect(not missing, f"the parameters without a gradient after MLP({SIZES})(x).sum().backward()", str(missing),
           "none: backward() reaches every layer",
           Mistake("cut-from-graph",
           "forward cut the graph (.detach(), .data, .item() or a new tensor made from numbers), so autograd "
           "cannot reach the layers before the cut."))
