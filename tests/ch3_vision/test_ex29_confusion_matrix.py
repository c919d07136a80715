"""Exercise 29: confusion_matrix(logits, targets, C) is int64 (C, C), entry [i, j] counting the rows of true class i
whose largest logit is j; it builds no autograd graph."""

import torch
from support import Mistake, call, diagnose, expect, facts, show
from vision_support import randn, reference_confusion


def _case(n: int, classes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    targets = torch.randint(0, classes, (n,), generator=torch.Generator().manual_seed(seed))
    return randn(n, classes, seed=seed), targets


DIM_0 = (Mistake("argmax-dim-0", "the prediction of each row is logits.argmax(dim=1), the class of its largest logit; "
                                 "argmax over dim 0 gives, for each class, the row where it is largest: one per class "
                                 "instead of one per row."))


def _argmax_over_dim_0(run) -> bool:
    """Whether the learner's code took an argmax over dim 0 (as a method, logits.argmax(0), or torch.argmax)."""
    return any(c.arg(1, "dim") in (0, -2) for c in run.calls)


def test_counts_truth_by_row_and_prediction_by_column(confusion_matrix, record):
    for n, classes, seed in ((40, 4, 290), (30, 5, 291)):
        logits, targets = _case(n, classes, seed)
        what = f"confusion_matrix(logits of shape ({n}, {classes}), targets, {classes})"
        run = record(confusion_matrix, logits.clone(), targets.clone(), classes, describe=what,
                     watch=[(torch.Tensor, "argmax"), (torch, "argmax")])
        if run.error is not None:
            if _argmax_over_dim_0(run):
                expect(False, what, f"{type(run.error).__name__}: {run.error}", "a tensor of counts", DIM_0)
                return
            run.reraise(what)
        got = run.result
        expected = reference_confusion(logits.argmax(dim=1), targets, classes)
        if not expect(isinstance(got, torch.Tensor), what, show(got), "a tensor of counts"):
            return
        t = facts(got)
        value = [[int(v) for v in row] for row in t.value] if t.shape == (classes, classes) else t.value
        if value != expected:
            mistake = diagnose(value, [
                ([list(r) for r in zip(*expected)], Mistake("transposed", "the matrix is transposed: rows are the "
                                                                          "truth, columns the prediction. Count pair "
                                                                          "(target i, prediction j) at [i, j].")),
            ], 0)
            if _argmax_over_dim_0(run):
                mistake = DIM_0
            if t.shape != (classes, classes):
                mistake = Mistake("wrong-size", f"the matrix must be {classes} x {classes}, one row and one column per "
                                                "class, even for classes that never occur (torch.bincount needs "
                                                "minlength=num_classes ** 2).")
            expect(False, what, show(got), f"tensor({expected})", mistake)
            return
        expect(t.dtype == "int64", f"{what}.dtype", t.dtype, "int64",
               Mistake("counts-not-int64", "counts are whole numbers: keep them int64 (torch.bincount gives int64; "
                                           "torch.zeros needs dtype=torch.int64)."))


def test_a_class_never_seen_still_has_its_row_and_column(confusion_matrix):
    logits = torch.tensor([[3.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]])
    targets = torch.tensor([0, 1])
    what = "confusion_matrix(logits predicting [0, 1], targets [0, 1], 4)"
    got = call(confusion_matrix, logits, targets, 4, describe=what)
    expected = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    expect(isinstance(got, torch.Tensor) and facts(got).value == expected, what, show(got), f"tensor({expected})",
           Mistake("missing-classes", "classes 2 and 3 never occur but still have a row and a column of zeros: size "
                                      "the matrix by num_classes (minlength=num_classes ** 2 for torch.bincount)."))


def test_builds_no_graph(confusion_matrix):
    logits, targets = _case(10, 3, 292)
    what = "confusion_matrix(logits that require grad, targets, 3)"
    got = call(confusion_matrix, logits.requires_grad_(), targets, 3, describe=what)
    expect(isinstance(got, torch.Tensor) and not got.requires_grad, what, show(got), "a tensor that requires no grad",
           Mistake("builds-graph", "counting needs no gradient: work under torch.no_grad() (argmax and bincount then "
                                   "record nothing)."))
