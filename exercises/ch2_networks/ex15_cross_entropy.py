"""Exercise 15: the cross-entropy loss.

A classifier's last layer gives one logit per class for each example: scores, not
probabilities. softmax turns a row of logits z into probabilities,

    softmax(z)[c] = exp(z[c]) / sum_k exp(z[k])

and the cross-entropy loss is the mean over the rows of -log(probability of the right
class). It is small when the model is confident and right, and large when it is
confident and wrong. When all the logits of a row are equal, each of the C classes gets
1/C and the loss is ln C (0.693 for two classes): where an untrained model starts.

Computed as written, it breaks: exp(1000) is inf in float32, and inf / inf is nan. Take
the logarithm first instead:

    log softmax(z)[c] = z[c] - logsumexp(z),     logsumexp(z) = log(sum_k exp(z[k]))

torch.logsumexp is computed stably (the row's largest value is taken out before
exponentiating), so the loss stays finite for any logits.

The loss takes the logits themselves. Applying softmax first and then this loss
squashes the scores twice: the loss can then never come near 0, and its gradients
shrink, so learning slows down. (torch's own F.cross_entropy takes logits too.)

The targets are class indices, one int64 per row: not floats, not one-hot rows. Check
them, and refuse anything else with a ValueError that says what came.

Try your function:  python -m exercises.ch2_networks.ex15_cross_entropy
Check it:           python grader.py check 15
"""

import torch


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Return the mean over rows of -log softmax(logits)[i, targets[i]], as a 0-dim tensor, computed stably.

    logits has shape (N, C); targets holds N int64 class indices, shape (N,). For any other
    targets raise ValueError, with their dtype and shape in the message.

    Example: cross_entropy(torch.zeros(4, 3), torch.tensor([0, 2, 1, 0])) -> tensor(1.0986), which is ln 3

    Read: torch.logsumexp, indexing with tensors (x[rows, columns]), torch.Tensor.gather.
    """
    # EXERCISE 15 (cross_entropy): write your code here.
    raise NotImplementedError("Exercise 15 (cross_entropy) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    targets = torch.tensor([0, 2, 1, 0])
    try:
        uniform = cross_entropy(torch.zeros(4, 3), targets)
        large = cross_entropy(torch.tensor([[1000.0, 0.0, -1000.0]] * 4), targets)
        print(f"equal logits, 3 classes: {uniform.item():.4f}  (expected ln 3 = 1.0986)")
        print(f"logits in the thousands: {large.item():.1f}  (expected 750.0, finite)")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 15` says what is wrong.")
