"""Exercise 32: load_checkpoint(path, model, optimizer) loads a checkpoint into the model and the optimizer in place
and returns its epoch; a run resumed from it with torch.optim.Adam continues bit for bit."""


import torch
from diagnosis_support import scratch_folder
from support import Mistake, call, expect, fmt, show, values
from torch import nn
from vision_support import randn, ready_to_save

STEPS = 4


ready_to_save()

def _model(seed: int) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Linear(3, 2)


def _steps(model: nn.Module, optimizer, start: int, count: int) -> None:
    for t in range(start, start + count):
        optimizer.zero_grad()
        model(randn(5, 3, seed=320 + t)).pow(2).sum().backward()
        optimizer.step()


def test_a_resumed_run_continues_bit_for_bit(load_checkpoint):
    straight = _model(32)
    opt = torch.optim.Adam(straight.parameters(), lr=0.05)
    _steps(straight, opt, 0, 2 * STEPS)

    first = _model(32)
    first_opt = torch.optim.Adam(first.parameters(), lr=0.05)
    _steps(first, first_opt, 0, STEPS)
    resumed = _model(99)  # another start: everything must come from the file
    resumed_opt = torch.optim.Adam(resumed.parameters(), lr=0.05)
    with scratch_folder() as folder:
        path = folder / "checkpoint.pt"
        torch.save({"model": first.state_dict(), "optimizer": first_opt.state_dict(), "epoch": 4}, path)
        what = f"load_checkpoint(path, model, optimizer) of a checkpoint saved after {STEPS} Adam steps at epoch 4"
        epoch = call(load_checkpoint, path, resumed, resumed_opt, describe=what)
    expect(epoch == 4 and type(epoch) is int, f"what {what} returned", show(epoch), "4, the stored epoch",
           Mistake("epoch-not-returned", "return checkpoint[\"epoch\"]."))
    if not expect(torch.equal(resumed.weight, first.weight) and torch.equal(resumed.bias, first.bias),
                  f"the model's weight after {what}", fmt(values(resumed.weight)), fmt(values(first.weight)),
                  Mistake("model-not-loaded", "the model given was not changed: call "
                                              "model.load_state_dict(checkpoint[\"model\"]) on it (a new model made "
                                              "inside the function is lost when it returns).")):
        return
    if not expect(len(resumed_opt.state) > 0, f"the optimizer's state after {what}", "empty",
                  "Adam's running averages and step counts from the checkpoint",
                  Mistake("optimizer-not-loaded", "the optimizer's state was not loaded: "
                                                  "optimizer.load_state_dict(checkpoint[\"optimizer\"]). Without it "
                                                  "Adam starts its averages from zero again and the resumed run drifts "
                                                  "from the one it continues.")):
        return
    _steps(resumed, resumed_opt, STEPS, STEPS)
    expect(torch.equal(resumed.weight, straight.weight), f"the weight after {STEPS} more steps from {what}",
           fmt(values(resumed.weight)), f"{fmt(values(straight.weight))}, as in a run that never stopped", None)
