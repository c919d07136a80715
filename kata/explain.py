"""Turning an exception from learner code into words a newcomer can act on."""

from __future__ import annotations

import errno
import functools
import linecache
import os
import re
import traceback
import unittest
from dataclasses import dataclass
from pathlib import Path

from _pytest.outcomes import Exit, Skipped, XFailed

from . import loader


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}" + (f": {self.code}" if self.code else "")


# What PyTorch and Python say, and what it usually means in this chapter.
KNOWN_ERRORS: list[tuple[str, str]] = [
    (
        r"does not require grad and does not have a grad_fn",
        "backward() was called on a value that autograd never recorded: the graph was "
        "cut (.item(), float(), .detach() or torch.tensor(...) around a result), its "
        "tensors were made without requires_grad=True, or autograd was off (torch.no_grad()).",
    ),
    (
        r"leaf Variable that requires grad is being used in an in-place operation",
        "a parameter was changed in place while autograd was recording. Put the update "
        "inside `with torch.no_grad():`.",
    ),
    (
        r"backward through the graph a second time",
        "backward() ran twice over the same graph. Compute a fresh loss (a new forward "
        "pass) before each backward().",
    ),
    (
        r"grad can be implicitly created only for scalar outputs",
        "backward() needs a single number (a 0-dim tensor). Reduce the result first, "
        "for example with .mean().",
    ),
    (
        r"Only Tensors of floating point",
        "only floating-point tensors can require gradients. Use a float value or "
        "dtype=torch.float32.",
    ),
    (
        r"'float' object has no attribute 'backward'",
        "backward() was called on a plain Python number, which autograd cannot "
        "differentiate: one computed from numbers rather than tensors, or turned into a "
        "number by .item() or float(). Keep it a tensor, made from tracked tensors.",
    ),
    (
        r"unsupported operand type\(s\) for .*'NoneType'",
        "something in the calculation was None, often a .grad: it stays None until "
        "backward() reaches the tensor, and only leaves (created with requires_grad=True, "
        "not computed from other tensors) keep one.",
    ),
    (
        r"'NoneType' object has no attribute",
        "something was None where an object was expected: a .grad is None until "
        "backward() reaches its tensor, and a function without a `return` gives None.",
    ),
    (
        r"arguments to matmul need to be at least 1D",
        "torch.matmul (and @) multiplies matrices, and one of its arguments is a 0-dim "
        "tensor, a single number: multiply by a number with * instead.",
    ),
    (
        r"must match the size of tensor",
        "two tensors' shapes do not fit together. Print their .shape to see why.",
    ),
    (
        r"can't call numpy\(\) on Tensor that requires grad",
        "a tensor that requires grad was turned into numpy. Use .item() for one "
        "number, or .detach() first.",
    ),
    (
        r"a view of a leaf Variable that requires grad",
        "a parameter was changed in place while autograd was recording. Put the update "
        "inside `with torch.no_grad():`.",
    ),
    (
        r"missing \d+ required positional argument|takes \d+ positional arguments? but \d+ (?:were|was) given",
        "a function was called with a different number of arguments than its `def` line "
        "takes. Compare the two; each exercise's `def` line stays as the stub has it.",
    ),
    (
        r"object of type 'generator' has no len\(\)|'generator' object is not subscriptable",
        "a generator has no len() and no [i], and gives its items only once. params can "
        "be one: loop over it directly, once, with `for p in params:`.",
    ),
]


def advice(message: str) -> str | None:
    for pattern, text in KNOWN_ERRORS:
        if re.search(pattern, message):
            return text
    return None


def _in_target(filename: str) -> bool:
    try:
        folder = loader.target()
    except RuntimeError:
        return False
    if os.path.isabs(filename):
        # The loader compiles the learner's files under the target's resolved path, so an
        # absolute file name tells by its start alone (no lookups on disk, for every frame
        # of pytest and torch in a traceback).
        return filename.startswith(f"{folder}{os.sep}")
    return _inside(filename, folder)


@functools.lru_cache(maxsize=None)  # tracebacks name the same few files again and again
def _inside(filename: str, folder: Path) -> bool:
    try:
        Path(filename).resolve().relative_to(folder)
        return True
    except (ValueError, RuntimeError, OSError):
        return False


def learner_frame(exc: BaseException) -> Frame | None:
    """The innermost place in the learner's files that the exception passed through."""
    found = None
    # Source lines are read only for the learner's frames, not for pytest's dozen.
    for summary in traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False):
        if _in_target(summary.filename):
            code = (summary.line or linecache.getline(summary.filename, summary.lineno)).strip()
            found = Frame(Path(summary.filename).name, summary.lineno or 0, code)
    return found


def raised_in(exc: BaseException) -> str | None:
    """The file name (inside the target) of the frame that raised `exc`, if it is one."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    filename = last.tb_frame.f_code.co_filename
    return Path(filename).name if _in_target(filename) else None


SKIPS = {  # what the learner's code did, and what that does to the test
    XFailed: ("called pytest.xfail()", "which marks the test as expected to fail"),
    Skipped: ("called pytest.skip()", "which skips the test"),
    unittest.SkipTest: ("raised unittest.SkipTest", "which skips the test"),
}


def is_skip(exc: BaseException) -> bool:
    """Whether `exc` asks pytest to skip the test (or to call its failure expected)."""
    return isinstance(exc, tuple(SKIPS))


def behaviour(exc: BaseException, frame: Frame | None) -> str | None:
    """What the learner's code did, in a sentence, when `exc` is not an ordinary mistake
    but an attempt to end the program or the test (sys.exit(), Ctrl-C, pytest.skip(), ...);
    None for ordinary exceptions. `frame` is where it happened in the learner's files."""
    at = f" at {frame.file}, line {frame.line}" if frame else ""
    never = "A test that does not run to the end never counts as passed."
    skip = next((what for kind, what in SKIPS.items() if isinstance(exc, kind)), None)
    if skip is not None:
        what, effect = skip
        return f"Your code {what}{at}, {effect}. Such a test never counts as passed: take the call out."
    if isinstance(exc, Exit):
        return f"Your code called pytest.exit(){at}. {never}"
    if isinstance(exc, SystemExit):
        return (f"Your code called sys.exit() (or raised SystemExit){at}. Ending the program is "
                f"never part of an exercise: return the result instead. {never}")
    if isinstance(exc, KeyboardInterrupt):
        return (f"Your code raised KeyboardInterrupt{at}, as if Ctrl-C had been pressed, so the "
                f"grader stopped this exercise. {never}")
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return (f"Your code printed far too much{at} (more than the grader keeps), so it was "
                "stopped. A few lines are enough to see what is going on.")
    return None


def exception_summary(exc: BaseException) -> str:
    """`TypeError: ...` plus what it usually means, for an ordinary exception."""
    name = type(exc).__name__
    text = str(exc).strip()
    if isinstance(exc, RecursionError):
        return "RecursionError: a function kept calling itself and never stopped."
    if isinstance(exc, MemoryError):
        return "MemoryError: your code asked for more memory than there is."
    first_line = text.splitlines()[0] if text else ""
    summary = f"{name}: {first_line}" if first_line else name
    for note in getattr(exc, "__notes__", ()):
        summary += f"\n  {note}"
    hint = advice(text)
    return f"{summary}\n  Likely mistake: {hint}" if hint else summary
