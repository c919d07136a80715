"""A failing exercise says whose fault it is: a correct function that fails only because an
earlier one it uses is wrong names that one; a wrong one is told its own mistake. And the
helpers the exercise tests build their diagnoses from behave as documented."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import ROOT, copy_solutions, replace_function, run_grader

sys.path.insert(0, str(ROOT / "tests"))
import diagnosis_support  # noqa: E402
import support  # noqa: E402

MSE_SUMS = '''
def mse_loss(y_pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if y_pred.shape != y.shape:
        raise ValueError(f"{tuple(y_pred.shape)} vs {tuple(y.shape)}")
    return ((y_pred - y) ** 2).sum()
'''
TRACKED_IN_A_LIST = '''
def tracked(value: float) -> torch.Tensor:
    return torch.tensor([value], requires_grad=True)
'''
TRAIN_NEVER_CLEARS = '''
def train(x: torch.Tensor, y: torch.Tensor, lr: float = 0.01, epochs: int = 100):
    w, b = init_params()
    losses = []
    for _ in range(epochs):
        loss = mse_loss(predict(x, w, b), y)
        loss.backward()
        losses.append(loss.item())
        sgd_step([w, b], lr)
    return w, b, losses
'''

# (folder, {function: code}, {exercise name: phrases its message must contain})
CASES = [
    ("mse-sums", {"mse_loss": MSE_SUMS}, {
        "train": ["your train itself is right", "your mse_loss (exercise 04)", "returns 120.0 where 30.0",
                  "fix exercise 04 first"],
    }),
    ("tracked-in-a-list", {"tracked": TRACKED_IN_A_LIST}, {
        name: [f"your {name} itself is right", "your tracked (exercise 01)", "shape (1,)", "fix exercise 01 first"]
        for name in ("sum_of_squares_grads", "gradients", "init_params")
    }),
    ("both-wrong", {"mse_loss": MSE_SUMS, "train": TRAIN_NEVER_CLEARS}, {
        "train": ["zero_grad was never called"],
    }),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, dict]:
    """Grade every case's folder in one batch; the exercises of each, by name."""
    root = tmp_path_factory.mktemp("diagnosis")
    folders = []
    for name, functions, _ in CASES:
        folder = copy_solutions(root / "submissions" / name)
        for function, code in functions.items():
            replace_function(folder, function, code)
        folders.append(folder)
    out = root / "graded"
    run = run_grader("grade", *[str(f) for f in folders], "--out", str(out), "--chapter", "1")  # where all cases are
    assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
    return {f.name: {e["name"]: e for e in json.loads((out / f.name / "report.json").read_text())["exercises"]}
            for f in folders}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_fault_is_put_where_it_is(reports, case):
    name, _, expected = case
    for exercise, phrases in expected.items():
        graded = reports[name][exercise]
        assert graded["status"] == "fail", graded
        missing = [p for p in phrases if p.lower() not in graded["message"].lower()]
        assert not missing, f"{exercise}: {missing} not in\n{graded['message']}"


def test_the_blame_goes_to_the_function_used_directly(reports):
    # mse_loss is used by train alone; tracked by 02, 03 and 05, and through 05 by train,
    # which names init_params: exercise 05's own message then names tracked.
    assert {n for n, e in reports["mse-sums"].items() if e["status"] != "pass"} == {"mse_loss", "train"}
    assert "your init_params (exercise 05) is not" in reports["tracked-in-a-list"]["train"]["message"]


def test_loop_finds_the_calls_repeated_in_each_round():
    lesson = ["predict", "mse_loss", "backward", "sgd_step", "zero_grad"]
    assert diagnosis_support.loop(["init_params", *lesson * 3], 3) == (["init_params"], lesson, [])
    assert diagnosis_support.loop(["init_params", "predict", *lesson[1:] * 3], 3) == (["init_params", "predict"], lesson[1:], [])
    assert diagnosis_support.loop(["init_params", *lesson[:3] * 3, "sgd_step"], 3) == (["init_params"], lesson[:3], ["sgd_step"])
    assert diagnosis_support.loop(["init_params", *lesson * 4], 3) is None  # one round too many
    assert diagnosis_support.loop([], 3) is None


def test_earlier_fault_names_only_the_functions_that_spoil_the_result():
    ours = {"mse_loss": lambda: None, "sgd_step": lambda: None}

    def right_unless_theirs(*wrong: str):
        return lambda using: all(name in using for name in wrong)

    def probed(*wrong: str):
        return lambda name: f"{name} probed" if name in wrong else None

    blamed = diagnosis_support.earlier_fault("train", right_unless_theirs("mse_loss"), ours, probed("mse_loss"))
    assert blamed.startswith("your train itself is right, but your mse_loss (exercise 04) is not: mse_loss probed.")
    assert "sgd_step" not in blamed and blamed.endswith("fix exercise 04 first.")
    assert diagnosis_support.earlier_fault("train", lambda using: False, ours, probed("mse_loss")) is None
    unseen = diagnosis_support.earlier_fault("train", right_unless_theirs("sgd_step"), ours, probed())
    assert "your sgd_step (exercise 07) is not. With a correct sgd_step" in unseen
    both = diagnosis_support.earlier_fault("train", right_unless_theirs("mse_loss", "sgd_step"), ours, probed())
    assert "mse_loss (exercise 04) and sgd_step (exercise 07) are not" in both


def test_generator_mistake_only_when_a_list_works():
    generator, handed = support.handing_out([1, 2])
    assert support.generator_mistake(handed, right_with_a_list=True).startswith("nothing was taken out")
    next(generator)
    assert "only once" in support.generator_mistake(handed, right_with_a_list=True)
    assert support.generator_mistake(handed, right_with_a_list=False) is None



def test_chapter_3s_stand_ins_agree_with_torch():
    """The correct pieces that chapter 3's tests put in place of a learner's use no call those exercises
    forbid; they must still be torch's convolution, pooling and fit."""
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, str(ROOT / "tests" / "ch3_vision"))
    import vision_support as vs

    gen = torch.Generator().manual_seed(3)
    x, w, b = (torch.randn(s, generator=gen) for s in ((2, 3, 7, 6), (4, 3, 3, 2), (4,)))
    assert torch.allclose(vs.reference_conv2d(x, w, b, 2, 1), F.conv2d(x, w, b, 2, 1), rtol=1e-4, atol=1e-5)
    assert torch.equal(vs.reference_max_pool2d(x, 3), F.max_pool2d(x, 3))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(4)
        ours = vs.CorrectConv2d(3, 4, 3)
        torch.manual_seed(4)
        theirs = torch.nn.Conv2d(3, 4, 3)
    assert torch.allclose(ours.weight, theirs.weight) and torch.allclose(ours.bias, theirs.bias)
    x_train, y_train, x_test, y_test = vs.finale_data()
    assert (len(x_train), len(x_test)) == (1438, 359) and x_train.shape[1:] == (1, 8, 8)
    assert torch.equal(y_test, vs.digits()[1][torch.randperm(1797, generator=torch.Generator().manual_seed(1000))[:359]])
