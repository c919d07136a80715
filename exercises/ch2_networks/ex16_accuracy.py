"""Exercise 16: accuracy.

The loss is what training makes small, but it is not what people ask of a classifier:
they ask how often it is right. The model's answer for a row is the class with the
largest logit, `logits.argmax(dim=1)`. Dimension 1 runs across the classes of one row;
dimension 0 would run down the rows of one class, which answers another question.
(The largest logit is also the largest probability: softmax keeps the order.)

Accuracy is a number to read, not to differentiate: return a Python float, and let
autograd record nothing while computing it (`with torch.no_grad():`).

Try your function:  python -m exercises.ch2_networks.ex16_accuracy
Check it:           python grader.py check 16
"""

import torch


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Return the fraction of rows whose largest logit (over dim 1) is at the target class, as a Python float.

    Example: accuracy(torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), torch.tensor([0, 1, 1])) -> 0.666...

    Read: torch.argmax, torch.no_grad, torch.Tensor.item.
    """
    # EXERCISE 16 (accuracy): write your code here.
    raise NotImplementedError("Exercise 16 (accuracy) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    try:
        got = accuracy(logits, torch.tensor([0, 1, 1]))
        print(f"accuracy = {got!r}  (expected 0.6666666865348816, a Python float)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 16` says what is wrong.")
