"""Exercise 27: CNN() holds conv1 = Conv2d(1, 16, 3, padding=1), conv2 = Conv2d(16, 32, 3, padding=1) and
fc = nn.Linear(128, 10), made in that order (6,090 parameters), and computes conv, relu, pool twice, flatten, fc."""

import torch
import torch.nn.functional as F
from diagnosis_support import NO_SUPER, earlier_fault, missing_super, without_global_rng
from support import Mistake, attempt, call, close, expect, is_tensor, show, values
from torch import nn
from vision_support import (
    CorrectCNN, CorrectConv2d, briefly, digits, probe, reference_conv2d, reference_max_pool2d, tensor_result,
)

SHAPES = {"conv1.weight": (16, 1, 3, 3), "conv1.bias": (16,), "conv2.weight": (32, 16, 3, 3), "conv2.bias": (32,),
          "fc.weight": (10, 128), "fc.bias": (10,)}
OURS = {"conv2d": reference_conv2d, "Conv2d": CorrectConv2d, "max_pool2d": reference_max_pool2d}


def _make(CNN) -> nn.Module | None:
    model, exc = attempt(without_global_rng, CNN, describe="CNN()")
    if exc is not None:
        if not missing_super(exc):
            raise exc
        expect(False, "CNN()", f"{type(exc).__name__}: {exc}", "a model", NO_SUPER)
        return None
    if not isinstance(model, nn.Module):
        expect(False, "CNN()", show(model), "an nn.Module", Mistake("not-a-module", "CNN must be a subclass of "
                                                                                    "nn.Module: class CNN(nn.Module)."))
        return None
    return model


def _shapes(model: nn.Module) -> dict[str, tuple[int, ...]]:
    return {name: tuple(p.shape) for name, p in model.named_parameters()}


def _batch() -> torch.Tensor:
    return digits()[0][:6]


def test_layers_and_parameters(CNN, learner_module):
    model = _make(CNN)
    if model is None:
        return
    shapes = _shapes(model)
    mistake = None
    if shapes.get("fc.weight", (0, 0))[1] != 128 and "fc.weight" in shapes:
        mistake = (Mistake("fc-input-size", "fc must take 128 numbers: after two poolings an 8x8 digit is 2x2, with "
                                            "conv2's 32 channels: 32 * 2 * 2 = 128."))
    elif not shapes:
        mistake = Mistake("no-parameters", "no parameter was found: assign the layers to self.conv1, self.conv2 and "
                                           "self.fc.")
    expect(shapes == SHAPES, "the parameters of CNN(), by name", str(shapes), str(SHAPES),
           mistake or Mistake("wrong-layers", "the layers are conv1 = Conv2d(1, 16, 3, padding=1), conv2 = Conv2d(16, "
                                              "32, 3, padding=1) and fc = nn.Linear(128, 10), under those names."))
    conv = learner_module("Conv2d").Conv2d
    expect(all(isinstance(getattr(model, n, None), conv) for n in ("conv1", "conv2")), "the types of CNN().conv1 "
           "and CNN().conv2", f"{type(getattr(model, 'conv1', None)).__name__}, "
           f"{type(getattr(model, 'conv2', None)).__name__}", "your Conv2d from exercise 25",
           Mistake("not-your-conv2d", "build conv1 and conv2 with your Conv2d."))


def test_starts_like_a_twin_made_of_torch_layers(CNN):
    def both():
        torch.manual_seed(27)
        twin = CorrectCNN()
        torch.manual_seed(27)
        return twin, CNN()

    twin, model = call(without_global_rng, both, describe="CNN() after torch.manual_seed(27)")
    if not isinstance(model, nn.Module) or _shapes(model) != SHAPES:
        return  # the layers test says what is wrong
    theirs = dict(twin.named_parameters())
    same = all(torch.equal(p, theirs[name]) for name, p in model.named_parameters())
    expect(same, "CNN()'s parameters after torch.manual_seed(27)", "other numbers than the twin's",
           "those of the same network made of torch's layers after the same seed",
           Mistake("layer-order", "the layers draw their first weights in the order they are made: conv1, then conv2, "
                                  "then fc, in __init__, and nothing else random in between."))


def _twin_run(CNN, twin: nn.Module, x: torch.Tensor):
    """The learner's CNN, made without touching torch's global random state, with the twin's weights, on x."""
    model = without_global_rng(CNN)
    model.load_state_dict(twin.state_dict())
    return model(x.clone())


def test_forward_matches_the_twin(CNN, record):
    model = _make(CNN)
    if model is None or _shapes(model) != SHAPES:
        return
    twin = without_global_rng(CorrectCNN)
    x = _batch()
    what = "CNN() with the weights of a correct twin, on 6 digits of shape (6, 1, 8, 8)"
    got = call(_twin_run, CNN, twin, x, describe=what)
    with torch.no_grad():
        expected = twin(x)
        wrong = [(twin.fc(F.max_pool2d(twin.conv2(F.max_pool2d(twin.conv1(x), 2)), 2).flatten(1)),
                  Mistake("no-relu", "relu is missing: apply torch.relu after each convolution, before pooling.")),
                 (torch.relu(expected), Mistake("relu-on-logits", "there is a relu on the logits: none after fc, "
                                                                  "logits may be negative."))]

    def right(using) -> bool:
        out = record(_twin_run, CNN, twin, x, describe="CNN() with correct pieces", using=using).result
        return is_tensor(out) and tuple(out.shape) == (6, 10) and close(values(out), values(expected), 1e-4)

    if not (is_tensor(got) and tuple(got.shape) == (6, 10) and close(values(got), values(expected), 1e-4)):
        fault = earlier_fault("CNN", right, OURS, probe)
        if fault:
            expect(False, what, briefly(got), briefly(expected), fault)
            return
    tensor_result(got, expected, what, wrong)


def test_uses_your_conv2d_and_max_pool2d(CNN, spy, learner_module):
    calls = {name: spy(learner_module(name), name) for name in ("conv2d", "max_pool2d")}
    model = _make(CNN)
    if model is None:
        return
    call(model, _batch(), describe="CNN() on 6 digits")
    for name, exercise in (("conv2d", "24"), ("max_pool2d", "26")):
        expect(calls[name].count == 2, f"calls of your {name} during one forward of CNN()", str(calls[name].count),
               "2", Mistake("not-your-pieces", "the network is built from your own pieces: two convolutions through "
                                               f"your Conv2d (which calls conv2d), two poolings with your max_pool2d "
                                               f"(exercise {exercise})."))
