"""Exercise 16: accuracy(logits, targets) is the fraction of rows whose largest logit is at the target, a Python float."""

import torch
from support import Mistake, call, close, diagnose, expect, fmt, is_float, is_tensor, show, values
from torch.overrides import TorchFunctionMode

EXAMPLE = (torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), torch.tensor([0, 1, 1]))  # 2 of 3 right
# A 3x3 case where the largest logit of each row (dim 1) and of each column (dim 0) answer differently.
SQUARE = (torch.tensor([[3.0, 6.0, 2.0], [4.0, 7.0, 5.0], [8.0, 1.0, 0.0]]), torch.tensor([0, 1, 0]))
_gen = torch.Generator().manual_seed(16)
RANDOM = (torch.randn(40, 4, generator=_gen), torch.randint(0, 4, (40,), generator=_gen))


def _expected(logits: torch.Tensor, targets: torch.Tensor) -> float:
    return (logits.argmax(dim=1) == targets).float().mean().item()


def _wrong(logits: torch.Tensor, targets: torch.Tensor) -> list[tuple[float, str]]:
    right = (logits.argmax(dim=1) == targets).float()
    wrong = [
        (right.sum().item(), Mistake("count-not-fraction",
                             "this is the number of right rows: divide it by the number of rows for the fraction.")),
        (100 * right.mean().item(), Mistake("percentage",
                                    "this is a percentage: the fraction is between 0 and 1, without the * 100.")),
        ((logits.argmin(dim=1) == targets).float().mean().item(), Mistake("argmin",
                                                                  "argmin finds the smallest logit: the model's "
                                                                 "answer is the largest, argmax.")),
        ((logits.argmax() == targets).float().mean().item(), Mistake("argmax-flat",
                                                             "argmax() without a dim gives one index into the "
                                                             "flattened table: ask for one class per row, "
                                                             "argmax(dim=1).")),
    ]
    if logits.shape[0] == logits.shape[1]:
        wrong.append(((logits.argmax(dim=0) == targets).float().mean().item(),
                      Mistake("argmax-dim0",
                      "argmax(dim=0) finds, for each class, the row where it is largest: the answer for each row "
                      "is argmax(dim=1), across the classes of that row.")))
    return wrong


def _check(accuracy, logits: torch.Tensor, targets: torch.Tensor, what: str) -> bool:
    got = call(accuracy, logits.clone(), targets.clone(), describe=what)
    expected = _expected(logits, targets)
    if is_tensor(got) and got.dim() == 0:
        got_value = values(got)
        expect(False, what, show(got), f"{fmt(expected)}, a Python float",
               Mistake("tensor-returned",
               "a tensor came back: return a Python float, with .item().") if close(got_value, expected) else None)
        return False
    if not expect(isinstance(got, (int, float)) and not isinstance(got, bool), what, show(got),
                  f"{fmt(expected)}, a Python float"):
        return False
    return expect(close(float(got), expected), what, fmt(float(got)), fmt(expected),
                  diagnose(float(got), _wrong(logits, targets)))


def test_counts_the_rows_whose_largest_logit_is_the_target(accuracy):
    for (logits, targets), label in ((SQUARE, f"logits {fmt(values(SQUARE[0]))}, targets {fmt(values(SQUARE[1]))}"),
                                     (EXAMPLE, "the docstring's example"),
                                     (RANDOM, "40 random rows of 4 logits")):
        if not _check(accuracy, logits, targets, f"accuracy(logits, targets) on {label}"):
            return


def test_returns_a_python_float(accuracy):
    what = "accuracy(logits, targets) on the docstring's example"
    got = call(accuracy, *EXAMPLE, describe=what)
    expect(is_float(got), f"type({what})", type(got).__name__, "float",
           Mistake("not-python-number",
           "return a plain Python number: .item() turns a 0-dim tensor into one.") if is_tensor(got) else
           Mistake("not-a-float", "the fraction of right rows is a float: divide, or use .float().mean().item()."))


class _Graphs(TorchFunctionMode):
    """Notes every torch function whose result autograd recorded, while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.recorded: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and out.grad_fn is not None:
            self.recorded.append(getattr(func, "__name__", str(func)))
        return out


def test_builds_no_graph(accuracy):
    logits = RANDOM[0].clone().requires_grad_(True)
    what = "accuracy(logits, targets) with logits that require grad"
    with _Graphs() as graphs:
        got = call(accuracy, logits, RANDOM[1].clone(), describe=what)
    expect(close(got if is_float(got) else None, _expected(*RANDOM)), what, show(got), fmt(_expected(*RANDOM)))
    expect(not graphs.recorded, f"operations recorded by autograd during {what}",
           ", ".join(dict.fromkeys(graphs.recorded)), "none",
           Mistake("autograd-recorded",
           "autograd recorded operations on the logits (a graph that nothing will use): compute the accuracy "
           "inside `with torch.no_grad():`."))
    expect(torch.is_grad_enabled(), f"autograd after {what}", "switched off", "switched on",
           Mistake("grad-mode-left-off",
           "autograd stayed off after accuracy returned (torch.set_grad_enabled(False), or torch.no_grad() "
           "without `with`): use `with torch.no_grad():`, which switches it back on."))
