"""Exercise 27: a convolutional network.

Your layers, stacked into a network that reads digits:

    x (N, 1, 8, 8)
    conv1 = Conv2d(1, 16, 3, padding=1), relu, max_pool2d(2)   -> (N, 16, 4, 4)
    conv2 = Conv2d(16, 32, 3, padding=1), relu, max_pool2d(2)  -> (N, 32, 2, 2)
    flatten                                                    -> (N, 128)
    fc = nn.Linear(128, 10)                                    -> (N, 10) logits, one per digit

The first convolution finds strokes; the second, on the pooled maps, sees twice as far
and combines strokes into parts of digits; the linear layer weighs those parts into one
score per digit. Each stage has fewer pixels and more channels than the one before.

Flatten keeps the batch dimension: x.flatten(1) (or x.reshape(len(x), -1)) turns each
image's 32 x 2 x 2 numbers into one row of 128. Flattening everything into one long row
would mix the images of a batch.

Create the layers in the order above: each draws its first weights from torch's global
generator, so under the same seed the same order gives the same network (6,090
parameters). This chapter uses torch.relu and nn.Linear freely; the convolution and the
pooling are yours.

Try your class:  python -m exercises.ch3_vision.ex27_cnn
Check it:        python grader.py check 27
"""

import torch
from torch import nn

if not __package__:  # started as `python path/to/file.py`: the relative imports below need `-m`
    from pathlib import Path

    here = Path(__file__).resolve()
    raise SystemExit(f"Run this file from {here.parents[2]} as: python -m {here.parts[-3]}.{here.parts[-2]}.{here.stem}")

from .ex25_conv_layer import Conv2d
from .ex26_max_pool2d import max_pool2d


class CNN(nn.Module):
    """conv1, relu, pool, conv2, relu, pool, flatten, fc: digits (N, 1, 8, 8) to logits (N, 10).

    Example: CNN() holds conv1 (16, 1, 3, 3) and (16,), conv2 (32, 16, 3, 3) and (32,),
             fc (10, 128) and (10,): 6,090 parameters.

    Read: torch.nn.Module, torch.flatten, "Neural Networks" in the PyTorch tutorials.
    """

    def __init__(self) -> None:
        """conv1 = Conv2d(1, 16, 3, padding=1), conv2 = Conv2d(16, 32, 3, padding=1), fc = nn.Linear(128, 10)."""
        super().__init__()
        self.conv1 = Conv2d(1, 16, 3, padding=1)
        self.conv2 = Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits of each image in the batch x (N, 1, 8, 8), shape (N, 10)."""
        x = max_pool2d(torch.relu(self.conv1(x)), 2)
        x = max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


if __name__ == "__main__":
    try:
        model = CNN()
        logits = model(torch.zeros(5, 1, 8, 8))
        print(f"parameters: {sum(p.numel() for p in model.parameters())}  (expected 6090)")
        print(f"logits for a batch of 5 digits: shape {tuple(logits.shape)}  (expected (5, 10))")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 27` says what is wrong.")
