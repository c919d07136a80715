"""Exercise 31: save_checkpoint(path, model, optimizer, epoch) writes exactly {"model": model.state_dict(),
"optimizer": optimizer.state_dict(), "epoch": epoch} with torch.save, loadable by torch.load(path) (weights only)."""


import torch
from diagnosis_support import scratch_folder
from support import Mistake, call, expect, show
from torch import nn
from vision_support import randn, ready_to_save


ready_to_save()

def _trained() -> tuple[nn.Module, torch.optim.Optimizer]:
    """A small model with two Adam steps behind it: its optimizer has a state worth saving."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(31)
        model = nn.Linear(3, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for t in range(2):
        optimizer.zero_grad()
        model(randn(4, 3, seed=t)).pow(2).sum().backward()
        optimizer.step()
    return model, optimizer


def _same(a: object, b: object) -> bool:
    """Equal state_dicts (nested dicts and lists of tensors and numbers)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.equal(a, b)
    return a == b


def test_saves_model_optimizer_and_epoch(save_checkpoint):
    model, optimizer = _trained()
    with scratch_folder() as folder:
        path = folder / "checkpoint.pt"
        what = "save_checkpoint(path, model, optimizer, 7), then torch.load(path)"
        call(save_checkpoint, path, model, optimizer, 7, describe=what)
        if not expect(path.is_file(), f"the file after {what}", "no file", "a file at path",
                      Mistake("path-ignored", "save to the path given: torch.save(checkpoint, path).")):
            return
        try:
            saved = torch.load(path)
        except Exception as exc:
            expect(False, what, f"{type(exc).__name__}: {str(exc)[:200]}", "a dictionary of state_dicts",
                   Mistake("whole-objects-saved", "a whole model or optimizer object was saved; torch.load (weights "
                                                  "only) refuses objects it would have to run code to rebuild. Save "
                                                  "their state_dict()s instead."))
            return
    keys = sorted(saved) if isinstance(saved, dict) else None
    mistake = None
    if keys is not None and "optimizer" not in keys:
        mistake = (Mistake("no-optimizer-state", "the optimizer's state is missing: Adam's running averages and step "
                                                 "counts live there, and a resumed run without them takes different "
                                                 "steps. Save optimizer.state_dict() too."))
    if not expect(keys == ["epoch", "model", "optimizer"], f"the keys of the dictionary from {what}", str(keys) if
                  keys is not None else show(saved), "['epoch', 'model', 'optimizer']", mistake or
                  Mistake("wrong-keys", "save exactly {\"model\": model.state_dict(), \"optimizer\": "
                                        "optimizer.state_dict(), \"epoch\": epoch}.")):
        return
    expect(_same(saved["model"], model.state_dict()), f"checkpoint['model'] from {what}", show(saved["model"]),
           "model.state_dict()", Mistake("model-state-wrong", "save model.state_dict(): the parameters by name."))
    expect(_same(saved["optimizer"], optimizer.state_dict()), f"checkpoint['optimizer'] from {what}",
           "another dictionary", Mistake("optimizer-state-wrong", "optimizer.state_dict(), "
                                                                  "with Adam's state"), "save optimizer.state_dict().")
    expect(saved["epoch"] == 7 and type(saved["epoch"]) is int, f"checkpoint['epoch'] from {what}", show(saved["epoch"]),
           "7", Mistake("epoch-wrong", "save the epoch given, as it is."))
