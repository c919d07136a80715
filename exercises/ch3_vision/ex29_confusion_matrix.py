"""Exercise 29: which digits are mistaken for which.

Accuracy is one number: 97 % right says nothing about the 3 % wrong. A confusion matrix
counts every pair: entry [i, j] is how many images of true class i the model called j.
The diagonal holds the right answers; a large number off it, say at [8, 3], says the
model often reads an 8 as a 3, which is where to look (at those images, at more data of
them).

Rows are the truth and columns the prediction, as in torch's own metrics and most
textbooks: row i adds up to the number of images of class i. The prediction is the class
of the largest logit of each row of logits, argmax over dim 1 (dim 0 would pick an image
per class).

One way without a Python loop: the pair (true i, predicted j) is one number,
i * num_classes + j; torch.bincount counts how often each number occurs, with minlength
so that pairs that never occur count 0; reshaped to (num_classes, num_classes) that is
the matrix. Counting builds no autograd graph.

Try your function:  python -m exercises.ch3_vision.ex29_confusion_matrix
Check it:           python grader.py check 29
"""

import torch


def confusion_matrix(logits: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """int64 (C, C): entry [i, j] counts the rows of true class i whose largest logit is class j.

    Example: logits predicting [0, 1, 1] for targets [0, 1, 0], with 2 classes, give
             [[1, 1], [0, 1]].

    Read: torch.argmax, torch.bincount, torch.no_grad.
    """
    # EXERCISE 29 (confusion_matrix): write your code here.
    raise NotImplementedError("Exercise 29 (confusion_matrix) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    logits = torch.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, 4.0]])
    targets = torch.tensor([0, 1, 0])
    try:
        matrix = confusion_matrix(logits, targets, 2)
        print(f"predictions [0, 1, 1] for truths [0, 1, 0]: {matrix.tolist()}  (expected [[1, 1], [0, 1]])")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 29` says what is wrong.")
