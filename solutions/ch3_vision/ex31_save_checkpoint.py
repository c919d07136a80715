"""Exercise 31: saving a checkpoint.

Real training runs for hours, and machines stop: a checkpoint is everything needed to
carry on later as if nothing had happened. That is more than the weights:

- the model's state_dict: every parameter (and buffer), by name;
- the optimizer's state_dict: its settings and its *state*, which for Adam is each
  parameter's running averages and step count (exercise 28). Without them a resumed
  Adam starts its averages from zero again, with bias correction as on step one: the
  first steps after the restart are not the steps the run would have taken;
- the epoch reached, to carry on counting from there.

torch.save writes a dictionary of them to a file. Keep to plain containers, numbers and
tensors: torch.load(path) then reads it back with weights_only=True, its safe default,
which refuses to run code found in a file (a pickled object could be anything).

Try your function:  python -m exercises.ch3_vision.ex31_save_checkpoint
Check it:           python grader.py check 31
"""

from pathlib import Path

import torch
from torch import nn


def save_checkpoint(path: str | Path, model: nn.Module, optimizer, epoch: int) -> None:
    """torch.save {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch} to `path`.

    Example: save_checkpoint("run.pt", model, optimizer, 7); torch.load("run.pt")["epoch"] is 7.

    Read: torch.save, torch.nn.Module.state_dict, torch.optim.Optimizer.state_dict, "Saving and Loading Models".
    """
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch}, path)


if __name__ == "__main__":
    import tempfile

    model = nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.ones(1, 2)).sum().backward()
    optimizer.step()
    with tempfile.TemporaryDirectory() as folder:
        try:
            save_checkpoint(Path(folder) / "run.pt", model, optimizer, 7)
            saved = torch.load(Path(folder) / "run.pt")
            print(f"keys: {sorted(saved)}  (expected ['epoch', 'model', 'optimizer'])")
            print(f"epoch {saved['epoch']}, model keys {sorted(saved['model'])}  (expected 7, ['bias', 'weight'])")
        except NotImplementedError as e:
            print(e)
        except Exception as e:  # a wrong result: one clear line here, the details from the grader
            print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 31` says what is wrong.")
