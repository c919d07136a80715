"""Exercise 25: Conv2d registers weight (out, in, k, k) and bias (out,), drawn like nn.Conv2d's, loads an nn.Conv2d's
state_dict and then gives its outputs and gradients, through the learner's conv2d."""

import torch
from diagnosis_support import NO_SUPER, earlier_fault, missing_super, without_global_rng
from support import Mistake, attempt, call, close, expect, is_tensor, show, values
from torch import nn
from vision_support import briefly, probe, randn, reference_conv2d, tensor_result


def _make(Conv2d, *args, **kwargs) -> nn.Module | None:
    what = "Conv2d(" + ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"
    layer, exc = attempt(lambda: Conv2d(*args, **kwargs), describe=what)
    if exc is not None:
        if not missing_super(exc):
            raise exc
        expect(False, what, f"{type(exc).__name__}: {exc}", "a layer", NO_SUPER)
        return None
    if not isinstance(layer, nn.Module):
        expect(False, what, show(layer), "an nn.Module", Mistake("not-a-module", "Conv2d must be a subclass of "
                                                                                 "nn.Module: class Conv2d(nn.Module)."))
        return None
    return layer


def _shapes(layer: nn.Module) -> dict:
    return {name: tuple(p.shape) for name, p in layer.named_parameters()}


def test_weight_and_bias_are_registered_parameters(Conv2d):
    layer = _make(Conv2d, 3, 4, 3)
    if layer is not None:
        shapes = _shapes(layer)
        plain = [n for n, v in vars(layer).items() if isinstance(v, torch.Tensor) and not isinstance(v, nn.Parameter)]
        expect(shapes == {"weight": (4, 3, 3, 3), "bias": (4,)}, "the parameters of Conv2d(3, 4, 3), by name",
               str(shapes), "{'weight': (4, 3, 3, 3), 'bias': (4,)}",
               Mistake("plain-tensors", f"{' and '.join(plain)} are plain tensors: wrap them in nn.Parameter so that "
                                        "the module registers them.")
               if plain else Mistake("wrong-parameter-shapes", "weight is (out_channels, in_channels, k, k) and bias "
                                                               "(out_channels,), named weight and bias as in "
                                                               "nn.Conv2d, so that its state_dict loads."))
    layer = _make(Conv2d, 2, 5, 3, bias=False)
    if layer is not None:
        expect(_shapes(layer) == {"weight": (5, 2, 3, 3)} and getattr(layer, "bias", 0) is None,
               "the parameters of Conv2d(2, 5, 3, bias=False)", str(_shapes(layer)), "{'weight': (5, 2, 3, 3)} and "
               "self.bias = None", Mistake("bias-not-none", "with bias=False there is no bias parameter: set self.bias "
                                                            "= None."))


def test_starts_like_nn_conv2d_under_the_same_seed(Conv2d):
    def both():
        torch.manual_seed(25)
        theirs = nn.Conv2d(8, 16, 3)
        torch.manual_seed(25)
        return theirs, Conv2d(8, 16, 3)

    theirs, yours = call(without_global_rng, both, describe="Conv2d(8, 16, 3) after torch.manual_seed(25)")
    if not isinstance(yours, nn.Module) or set(_shapes(yours)) != {"weight", "bias"}:
        return  # the registration test says what is wrong
    bound = 1 / (8 * 3 * 3) ** 0.5
    for name in ("weight", "bias"):
        got, want = values(getattr(yours, name)), values(getattr(theirs, name))
        spread = values(getattr(yours, name).abs().max())
        if spread > bound * 1.001:
            mistake = Mistake("init-too-wide", f"values reach {spread:.3f}, beyond the bound 1/sqrt(in_channels * k * "
                                               f"k) = {bound:.3f}: draw uniformly from (-bound, bound) with that "
                                               "bound.")
        elif spread < bound * 0.6:
            mistake = Mistake("init-too-narrow", f"values reach only {spread:.3f}: nn.Conv2d draws from "
                                                 f"±1/sqrt(in_channels * k * k) = {bound:.3f}.")
        else:
            mistake = (Mistake("draw-order", "the numbers come out in another order than nn.Conv2d's: draw the weight "
                                             "first, then the bias, each with torch.empty(shape).uniform_(-bound, "
                                             "bound)."))
        expect(close(got, want, 1e-6), f"Conv2d(8, 16, 3).{name} after torch.manual_seed(25)",
               "other numbers", f"nn.Conv2d(8, 16, 3).{name} after the same seed", mistake)


def _loaded_run(Conv2d, theirs: nn.Module, x: torch.Tensor):
    layer = Conv2d(3, 4, 3, stride=2, padding=1)
    layer.load_state_dict(theirs.state_dict())
    return layer, layer(x)


def test_loads_nn_conv2d_state_dict_then_matches_it(Conv2d, record):
    theirs = without_global_rng(lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1))
    layer = _make(Conv2d, 3, 4, 3, stride=2, padding=1)
    if layer is None:
        return
    what = "Conv2d(3, 4, 3, stride=2, padding=1) after load_state_dict(nn.Conv2d(3, 4, 3, stride=2, padding=1)'s)"
    _, exc = attempt(layer.load_state_dict, theirs.state_dict(), describe="load_state_dict")
    if not expect(exc is None, what, f"{type(exc).__name__}: {exc}" if exc else "", "the state_dict loads",
                  Mistake("wrong-parameter-names", "name the parameters weight and bias, with nn.Conv2d's shapes.")):
        return
    x = randn(2, 3, 7, 7, seed=25).requires_grad_()
    what = f"{what}, applied to x of shape (2, 3, 7, 7)"
    got = call(layer, x, describe=what)
    expected = theirs(x)

    def right(using) -> bool:
        out = record(_loaded_run, Conv2d, theirs, x, describe="Conv2d with a correct conv2d", using=using).result
        return isinstance(out, tuple) and is_tensor(out[1]) and tuple(out[1].shape) == tuple(expected.shape) and \
            close(values(out[1]), values(expected), 1e-4)

    if not (is_tensor(got) and tuple(got.shape) == tuple(expected.shape) and close(values(got), values(expected), 1e-4)):
        fault = earlier_fault("Conv2d", right, {"conv2d": reference_conv2d}, probe)
        if fault:
            expect(False, what, briefly(got), briefly(expected), fault)
            return
    shape_mistake = (Mistake("stride-padding-not-passed", "stride or padding did not reach conv2d: forward calls "
                                                          "conv2d(x, self.weight, self.bias, self.stride, "
                                                          "self.padding)."))
    if not tensor_result(got, expected, what, shape_mistake=shape_mistake if is_tensor(got)
                         and tuple(got.shape) != tuple(expected.shape) else None):
        return
    g = randn(*expected.shape, seed=5)
    want = torch.autograd.grad((expected * g).sum(), [x, theirs.weight, theirs.bias])
    if not got.requires_grad:
        expect(False, f"the gradients of {what}", "an output that autograd does not track", "gradients")
        return
    mine = torch.autograd.grad((got * g).sum(), [x, layer.weight, layer.bias], allow_unused=True)
    for name, a, b in zip(("x", "weight", "bias"), mine, want):
        expect(a is not None and close(values(a), values(b), 1e-4), f"the gradient for {name} of {what}",
               "None" if a is None else "different numbers", "nn.Conv2d's", None)


def test_forward_uses_your_conv2d(Conv2d, spy, learner_module):
    calls = spy(learner_module("conv2d"), "conv2d")
    layer = _make(Conv2d, 1, 2, 3)
    if layer is None:
        return
    call(layer, randn(1, 1, 5, 5, seed=3), describe="Conv2d(1, 2, 3) applied to x of shape (1, 1, 5, 5)")
    expect(calls.count == 1, "calls of your conv2d during one forward of Conv2d(1, 2, 3)", str(calls.count), "1",
           Mistake("not-your-conv2d", "forward is one call of your conv2d from exercise 24: conv2d(x, self.weight, "
                                      "self.bias, self.stride, self.padding)."))
