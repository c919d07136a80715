"""Exercise 24: the convolution.

A linear layer connects every pixel with every output; it does not know that pixels
have neighbours, nor that a stroke is the same stroke one pixel to the left. A
convolution looks at a small window, the kernel's size, and slides it over the image: at
every offset (i, j) it multiplies the window by the same kernel weights and adds them up.
One kernel makes one output image, a map of where its pattern (an edge, a corner, a
curve) occurs. With C_in input channels a kernel has C_in slices, one per channel, and
adds up over all of them; C_out kernels make C_out output channels:

    out[n, o, i, j] = bias[o] + sum over c, a, b of  x[n, c, i*s + a, j*s + b] * weight[o, c, a, b]

for a stride s. The output shrinks by the kernel's size less one, unless the input is
padded with zeros on every side first: (H + 2p - kH) // s + 1 rows. Padding 1 keeps an
8x8 image 8x8 under a 3x3 kernel.

That formula is a cross-correlation: the kernel is laid on the image as it is. A
convolution in the mathematician's sense flips the kernel first. Deep learning skips the
flip because the kernel is learned: a network would simply learn the flipped weights. But
torch's conv2d and every pretrained weight assume no flip, so a flipped kernel gives
wrong answers with weights made for torch.

x.unfold(dim, size, step) gives every window along one dimension; applied to the rows and
then the columns it makes (N, C, H_out, W_out, kH, kW): every window the kernel sees.
torch.einsum then multiplies and sums over the channel and the two kernel dimensions in
one call. Autograd follows unfold, padding and einsum, so the gradients come for free.

Try your function:  python -m exercises.ch3_vision.ex24_conv2d
Check it:           python grader.py check 24
"""

import torch
import torch.nn.functional as F


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride: int = 1,
           padding: int = 0) -> torch.Tensor:
    """2-D cross-correlation of x (N, C_in, H, W) with weight (C_out, C_in, kH, kW), plus bias (C_out,).

    Pads x with `padding` zeros on every side, moves the kernel `stride` pixels at a time,
    and returns (N, C_out, (H + 2p - kH) // s + 1, (W + 2p - kW) // s + 1). Raises
    ValueError, naming both, when x's channels are not weight's C_in.

    Example: a 3x3 image of ones and a 2x2 kernel of ones give a 2x2 image of fours.

    Read: torch.Tensor.unfold, torch.einsum, torch.nn.functional.pad, torch.nn.functional.conv2d.
    """
    # EXERCISE 24 (conv2d): write your code here.
    raise NotImplementedError("Exercise 24 (conv2d) is not done yet: replace this line with your code.")


if __name__ == "__main__":
    image = torch.arange(16.0).reshape(1, 1, 4, 4)
    edge = torch.tensor([[[[-1.0, 1.0]]]])  # a 1x2 kernel: the step from one pixel to the next
    try:
        out = conv2d(image, edge)
        padded = conv2d(image, torch.ones(1, 1, 3, 3), padding=1)
        print(f"a 4x4 image of 0 ... 15 with the kernel [-1, 1]: shape {tuple(out.shape)}, values {out[0, 0].tolist()}")
        print("  (expected (1, 1, 4, 3), every value 1.0: each pixel is one more than the one on its left)")
        print(f"with a 3x3 kernel of ones and padding=1: shape {tuple(padded.shape)}  (expected (1, 1, 4, 4))")
    except NotImplementedError as e:
        print(e)
    except Exception as e:  # a wrong result: one clear line here, the details from the grader
        print(f"The demo stopped at {type(e).__name__}: {e}. `python grader.py check 24` says what is wrong.")
