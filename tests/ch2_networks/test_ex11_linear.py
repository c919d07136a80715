"""Exercise 11: Linear(in, out, bias) registers weight (out, in) and bias (out,) and computes x @ weight.T + bias, as nn.Linear."""

import math

import torch
from diagnosis_support import NO_SUPER, missing_super
from nn_support import linear
from support import Mistake, attempt, call, close, expect, expect_tensor, facts, fmt, is_tensor, show, values
from torch import nn

# (in_features, out_features, batch size, seed); the square layer shows x @ weight, which fits its shape.
FORWARD_CASES = [(3, 2, 5, 110), (4, 4, 3, 111), (2, 3, 1, 112)]
WIDE = (256, 64)  # enough numbers for the spread of the start to show


def _make(Linear, *args) -> nn.Module | None:
    """The learner's layer, or None after a failed check that says why there is none."""
    what = f"Linear({', '.join(map(repr, args))})"
    layer, exc = attempt(Linear, *args, describe=what)
    if exc is not None:
        if not missing_super(exc):
            raise exc
        expect(False, what, f"{type(exc).__name__}: {exc}", "a layer", NO_SUPER)
        return None
    if not isinstance(layer, nn.Module):
        expect(False, what, show(layer), "an nn.Module", Mistake("not-a-module",
                                                         "Linear must be a subclass of nn.Module: class Linear(nn.Module)."))
        return None
    return layer


def _shapes(layer: nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(p.shape) for name, p in layer.named_parameters()}


def _registration_mistake(layer: nn.Module, shapes: dict, in_f: int, out_f: int) -> str | None:
    if not shapes:
        plain = [name for name, value in vars(layer).items() if isinstance(value, torch.Tensor)]
        if plain:
            return (Mistake("plain-tensors",
                    f"{' and '.join(plain)} {'is a plain tensor' if len(plain) == 1 else 'are plain tensors'}, "
                    "which a module does not register, so parameters() misses them and no optimizer would train "
                    "them. Wrap each in nn.Parameter: self.weight = nn.Parameter(...)."))
        return Mistake("no-parameters",
               "no parameter was registered: assign nn.Parameters to self.weight and self.bias in __init__.")
    if shapes.get("weight") == (in_f, out_f) and in_f != out_f:
        return (Mistake("weight-transposed",
                f"the weight has shape (in_features, out_features) = {(in_f, out_f)}. nn.Linear keeps it as "
                f"(out_features, in_features) = {(out_f, in_f)} and computes x @ weight.T: use that shape, so "
                "that its state_dict loads into your layer."))
    if shapes.get("bias") == (1, out_f):
        return (Mistake("bias-2d",
                f"the bias has shape (1, {out_f}): make it a vector of shape ({out_f},), as nn.Linear's; "
                "broadcasting adds it to every row of x @ weight.T all the same."))
    if "weight" not in shapes and len(shapes) == 2:
        return (Mistake("wrong-names",
                f"the parameters are named {sorted(shapes)}: name them weight and bias, as nn.Linear does. "
                "The names are the keys of state_dict(), which is how a saved layer is loaded again."))
    if "bias" not in shapes:
        return Mistake("no-bias",
               "there is no bias: with bias=True (the default) register self.bias = nn.Parameter(...) too.")
    return None


def test_weight_and_bias_are_registered_parameters(Linear):
    layer = _make(Linear, 3, 2)
    if layer is None:
        return
    shapes = _shapes(layer)
    expected = {"weight": (2, 3), "bias": (2,)}
    if not expect(shapes == expected, "the parameters of Linear(3, 2), by name and shape", str(shapes),
                  str(expected), None if shapes == expected else _registration_mistake(layer, shapes, 3, 2)):
        return
    for name in expected:
        expect(type(getattr(layer, name, None)) is nn.Parameter, f"type(Linear(3, 2).{name})",
               type(getattr(layer, name, None)).__name__, "Parameter",
               Mistake("not-the-parameter",
               f"layer.{name} is not the registered parameter: keep the nn.Parameter itself as self.{name}."))


def test_bias_false_leaves_out_the_bias(Linear):
    layer = _make(Linear, 3, 2, False)
    if layer is None:
        return
    shapes = _shapes(layer)
    expect(shapes == {"weight": (2, 3)}, "the parameters of Linear(3, 2, bias=False)", str(shapes),
           "{'weight': (2, 3)}, no bias",
           Mistake("bias-when-false",
           "a bias was registered although bias=False: make one only when it is asked for, and set "
           "self.bias = None otherwise.") if "bias" in shapes else None)
    bias = getattr(layer, "bias", "missing")
    expect(bias is None, "Linear(3, 2, bias=False).bias", show(bias), "None",
           Mistake("bias-not-none",
           "set self.bias = None when bias=False, as nn.Linear does: code that reads layer.bias then "
           "knows there is none.") if bias == "missing" else None)


def _stats(numbers: list[float]) -> tuple[float, float, float, float]:
    """(smallest, largest, mean, standard deviation), in plain Python."""
    mean = sum(numbers) / len(numbers)
    std = math.sqrt(sum((v - mean) ** 2 for v in numbers) / len(numbers))
    return min(numbers), max(numbers), mean, std


def _start_mistake(low: float, high: float, std: float, k: float, in_f: int) -> str | None:
    if high == low == 0:
        return (Mistake("zero-init",
                "every number is 0. Units that start equal compute the same thing and get the same gradient, "
                "so they stay equal for ever: draw them at random, uniformly from [-k, k]."))
    if low >= 0:
        return (Mistake("rand-init",
                "every number is positive: torch.rand draws from [0, 1). Draw from [-k, k] instead: "
                "torch.empty(...).uniform_(-k, k)."))
    if close(std, 1.0, 0.1):
        return (Mistake("randn-init",
                "the numbers are spread like torch.randn's, a normal distribution with standard deviation 1, "
                "far wider than nn.Linear's start: draw them uniformly from [-k, k], k = 1/sqrt(in_features)."))
    if 0.9 < high <= 1.0:
        return Mistake("unscaled-init",
               "the numbers fill [-1, 1]: scale the range by k = 1/sqrt(in_features), that is uniform_(-k, k).")
    if high <= 1.0 / in_f + 1e-9:
        return Mistake("narrow-init",
               "the numbers lie within ±1/in_features, narrower than nn.Linear's ±1/sqrt(in_features).")
    if close(std, k, 0.1):
        return (Mistake("normal-init",
                "the numbers are normal with standard deviation k, so some lie beyond ±k: draw them "
                "uniformly from [-k, k] instead, as nn.Linear does."))
    return None


def test_parameters_start_uniform_within_plus_minus_1_over_sqrt_in(Linear):
    in_f, out_f = WIDE
    k = 1 / math.sqrt(in_f)
    what = f"Linear({in_f}, {out_f})"
    layers = [_make(Linear, in_f, out_f) for _ in range(2)]
    if None in layers or not expect(_shapes(layers[0]) == {"weight": (out_f, in_f), "bias": (out_f,)},
                                    f"the parameters of {what}", str(_shapes(layers[0])),
                                    str({"weight": (out_f, in_f), "bias": (out_f,)})):
        return
    weights = [v for row in facts(layers[0].weight).value for v in row]
    low, high, mean, std = _stats(weights)
    within = -k * (1 + 1e-6) <= low and high <= k * (1 + 1e-6)
    spread = low < -0.9 * k and high > 0.9 * k and close(std, k / math.sqrt(3), 0.1) and abs(mean) < 0.1 * k
    expect(within and spread, f"the {len(weights)} numbers of {what}.weight",
           f"from {fmt(low)} to {fmt(high)}, mean {fmt(mean)}, standard deviation {fmt(std)}",
           f"uniform over [-{fmt(k)}, {fmt(k)}] (k = 1/sqrt({in_f})): from about -{fmt(k)} to {fmt(k)}, "
           f"mean about 0, standard deviation about {fmt(k / math.sqrt(3))}",
           _start_mistake(low, high, std, k, in_f))
    biases = facts(layers[0].bias).value
    low, high, _, std = _stats(biases)
    expect(-k * (1 + 1e-6) <= low and high <= k * (1 + 1e-6) and high - low > k, f"the {out_f} numbers of {what}.bias",
           f"from {fmt(low)} to {fmt(high)}", f"spread over [-{fmt(k)}, {fmt(k)}], like the weight's",
           _start_mistake(low, high, std, k, in_f))
    expect(values(layers[0].weight) != values(layers[1].weight), f"the weights of two layers {what}",
           "the same numbers twice", "different random numbers in every new layer",
           Mistake("fixed-seed",
           "every layer starts from the same numbers: a fixed seed (torch.manual_seed) in __init__ resets "
           "torch's random generator each time. Leave seeding to whoever makes the layers."))


def _loaded(Linear, in_f: int, out_f: int, seed: int) -> tuple[nn.Module, nn.Linear] | None:
    """(the learner's layer, an nn.Linear) holding the same seeded parameters, or None after a failed check."""
    layer = _make(Linear, in_f, out_f)
    if layer is None:
        return None
    reference = linear(in_f, out_f, seed)
    what = f"Linear({in_f}, {out_f}).load_state_dict(nn.Linear({in_f}, {out_f}).state_dict())"
    _, exc = attempt(layer.load_state_dict, reference.state_dict(), describe=what)
    if exc is not None:
        if not isinstance(exc, RuntimeError):
            raise exc
        shapes = _shapes(layer)
        expect(False, what, str(exc).split("\n\t", 1)[-1].replace("\n\t", "; "),
               "the state_dict of nn.Linear loads: keys weight and bias, shapes (out, in) and (out,)",
               _registration_mistake(layer, shapes, in_f, out_f))
        return None
    return layer, reference


def _forward_mistake(got, x: torch.Tensor, reference: nn.Linear) -> str | None:
    w, b = reference.weight.detach(), reference.bias.detach()
    wrong = [((x @ w.T).tolist(), Mistake("no-bias-added",
                                  "the bias was left out: add self.bias to x @ self.weight.T.")),
             ((x @ w.T - b).tolist(), Mistake("bias-subtracted", "the bias was subtracted: add it.")),
             ((x @ w.T * b).tolist(), Mistake("bias-multiplies",
                                      "the bias multiplies instead of adding: x @ weight.T + bias."))]
    if w.shape[0] == w.shape[1]:
        wrong.append(((x @ w + b).tolist(), Mistake("not-transposed",
                                            "this is x @ weight + bias: with weight of shape (out, in), "
                                            "the product is x @ weight.T.")))
    return next((why for value, why in wrong if close(got, value)), None)


def test_forward_matches_nn_linear_after_loading_its_state_dict(Linear):
    for in_f, out_f, n, seed in FORWARD_CASES:
        pair = _loaded(Linear, in_f, out_f, seed)
        if pair is None:
            return
        layer, reference = pair
        x = torch.randn(n, in_f, generator=torch.Generator().manual_seed(seed))
        what = f"Linear({in_f}, {out_f}) with nn.Linear's parameters loaded, on x of shape ({n}, {in_f})"
        out, exc = attempt(layer, x.clone(), describe=what)
        if exc is not None:
            if not (isinstance(exc, RuntimeError) and "cannot be multiplied" in str(exc)):
                raise exc
            expect(False, what, f"RuntimeError: {exc}", f"a tensor of shape ({n}, {out_f})",
                   Mistake("not-transposed",
                   "weight has shape (out_features, in_features), so x (N, in_features) meets it "
                   "transposed: x @ self.weight.T."))
            return
        got = expect_tensor(out, what)
        if got is None:
            return
        expected = values(reference(x).detach())
        if not expect(got.shape == (n, out_f), f"the shape of {what}", str(got.shape), str((n, out_f)),
                      Mistake("wrong-output-shape",
                      "forward maps (N, in_features) to (N, out_features): x @ self.weight.T + self.bias.")):
            return
        if not expect(close(got.value, expected), what, fmt(got.value), f"{fmt(expected)} (nn.Linear's output)",
                      _forward_mistake(got.value, x, reference)):
            return


def test_gradients_match_nn_linear(Linear):
    in_f, out_f, n, seed = FORWARD_CASES[0]
    pair = _loaded(Linear, in_f, out_f, seed)
    if pair is None:
        return
    layer, reference = pair
    gen = torch.Generator().manual_seed(seed + 10)
    x, g = torch.randn(n, in_f, generator=gen), torch.randn(n, out_f, generator=gen)
    what = f"Linear({in_f}, {out_f}) loaded from nn.Linear, after (layer(x) * g).sum().backward()"
    x_theirs, x_ref = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out = call(layer, x_theirs, describe=f"Linear({in_f}, {out_f}) on x of shape ({n}, {in_f})")
    if expect_tensor(out, what) is None:
        return
    if not expect(facts(out).requires_grad, f"(layer(x)).requires_grad, {what}", "False", "True",
                  Mistake("cut-from-graph",
                  "autograd did not record forward: it used weight.data, .detach() or a new tensor made from the "
                  "parameters. Compute with the parameters themselves.")):
        return
    (out * g).sum().backward()
    (reference(x_ref) * g).sum().backward()
    for name, theirs, ours in (("weight.grad", layer.weight.grad, reference.weight.grad),
                               ("bias.grad", layer.bias.grad, reference.bias.grad),
                               ("x.grad", x_theirs.grad, x_ref.grad)):
        if theirs is None:
            expect(False, f"{name}, {what}", "None", f"{fmt(values(ours))} (nn.Linear's)",
                   Mistake("cut-from-graph",
                   "no gradient reached it: forward used weight.data, .detach() or a copy, which autograd "
                   "does not follow."))
        elif is_tensor(theirs):
            expect(close(facts(theirs).value, values(ours)), f"{name}, {what}", fmt(facts(theirs).value),
                   f"{fmt(values(ours))} (nn.Linear's)")
