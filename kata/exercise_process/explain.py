"""Turning an exception from learner code into words a newcomer can act on."""

from __future__ import annotations

import linecache
import re
import traceback
import unittest
from pathlib import Path

from ..outcomes import Location
from ..pytest_internals import Exit, Skipped, XFailed


class LoadError(Exception):
    """A learner's file could not be loaded; the message says why, for the learner."""

    def __init__(self, message: str, location: Location | None = None):
        super().__init__(message)
        self.location = location


# What PyTorch and Python say, and what it usually means in this chapter.
KNOWN_ERRORS: list[tuple[str, str]] = [
    (r"does not require grad and does not have a grad_fn",
     "backward() was called on a value that autograd never recorded: the graph was "
     "cut (.item(), float(), .detach() or torch.tensor(...) around a result), its "
     "tensors were made without requires_grad=True, or autograd was off (torch.no_grad())."),
    (r"leaf Variable that requires grad is being used in an in-place operation"
     r"|a view of a leaf Variable that requires grad",
     "a parameter was changed in place while autograd was recording. Put the update "
     "inside `with torch.no_grad():`."),
    (r"backward through the graph a second time",
     "backward() ran twice over the same graph. Compute a fresh loss (a new forward "
     "pass) before each backward()."),
    (r"grad can be implicitly created only for scalar outputs",
     "backward() needs a single number (a 0-dim tensor). Reduce the result first, "
     "for example with .mean()."),
    (r"Only Tensors of floating point",
     "only floating-point tensors can require gradients. Use a float value or "
     "dtype=torch.float32."),
    (r"'float' object has no attribute 'backward'",
     "backward() was called on a plain Python number, which autograd cannot "
     "differentiate: one computed from numbers rather than tensors, or turned into a "
     "number by .item() or float(). Keep it a tensor, made from tracked tensors."),
    (r"unsupported operand type\(s\) for .*'NoneType'",
     "something in the calculation was None, often a .grad: it stays None until "
     "backward() reaches the tensor, and only leaves (created with requires_grad=True, "
     "not computed from other tensors) keep one."),
    (r"'NoneType' object has no attribute",
     "something was None where an object was expected: a .grad is None until "
     "backward() reaches its tensor, and a function without a `return` gives None."),
    (r"arguments to matmul need to be at least 1D",
     "torch.matmul (and @) multiplies matrices, and one of its arguments is a 0-dim "
     "tensor, a single number: multiply by a number with * instead."),
    (r"must match the size of tensor",
     "two tensors' shapes do not fit together. Print their .shape to see why."),
    (r"can't call numpy\(\) on Tensor that requires grad",
     "a tensor that requires grad was turned into numpy. Use .item() for one "
     "number, or .detach() first."),
    (r"missing \d+ required positional argument|takes \d+ positional arguments? but \d+ (?:were|was) given",
     "a function was called with a different number of arguments than its `def` line "
     "takes. Compare the two; each exercise's `def` line stays as the stub has it."),
    (r"object of type 'generator' has no len\(\)|'generator' object is not subscriptable",
     "a generator has no len() and no [i], and gives its items only once. params can "
     "be one: loop over it directly, once, with `for p in params:`."),
]


def learner_frame(exc: BaseException, prefixes: tuple[str, ...]) -> Location | None:
    """The innermost place in the learner's files that the exception passed through. The loader
    compiles those files under their folders' resolved paths, the `prefixes`: a file name's
    start tells whether it is the learner's, without a look at the disk."""
    found = None
    # Source lines are read only for the learner's frames, not for pytest's dozen.
    for summary in traceback.StackSummary.extract(traceback.walk_tb(exc.__traceback__), lookup_lines=False):
        if summary.filename.startswith(prefixes):
            code = (summary.line or linecache.getline(summary.filename, summary.lineno)).strip()
            found = Location(Path(summary.filename).name, summary.lineno or 0, code)
    return found


def raised_in(exc: BaseException, prefixes: tuple[str, ...]) -> str | None:
    """The file name (inside the learner's folder) of the frame that raised `exc`, if it is one."""
    frames = [frame for frame, _ in traceback.walk_tb(exc.__traceback__)]
    filename = frames[-1].f_code.co_filename if frames else ""
    return Path(filename).name if filename.startswith(prefixes) else None


SKIPS = (XFailed, Skipped, unittest.SkipTest)
_TAKE_IT_OUT = "Such a test never counts as passed: take the call out."
_NEVER = "A test that does not run to the end never counts as passed."
ENDINGS = {  # what the learner's code did to end the test or the program, instead of returning
    XFailed: f"Your code called pytest.xfail(), which marks the test as expected to fail. {_TAKE_IT_OUT}",
    Skipped: f"Your code called pytest.skip(), which skips the test. {_TAKE_IT_OUT}",
    unittest.SkipTest: f"Your code raised unittest.SkipTest, which skips the test. {_TAKE_IT_OUT}",
    Exit: f"Your code called pytest.exit(). {_NEVER}",
    SystemExit: ("Your code called sys.exit() (or raised SystemExit). Ending the program is never part of an "
                 f"exercise: return the result instead. {_NEVER}"),
    KeyboardInterrupt: ("Your code raised KeyboardInterrupt, as if Ctrl-C had been pressed, so the grader "
                        f"stopped this exercise. {_NEVER}"),
}


def is_skip(exc: BaseException) -> bool:
    """Whether `exc` asks pytest to skip the test (or to call its failure expected)."""
    return isinstance(exc, SKIPS)


def behaviour(exc: BaseException) -> str | None:
    """What the learner's code did, in a sentence, when `exc` is not an ordinary mistake
    but an attempt to end the program or the test; None for ordinary exceptions."""
    return next((text for kind, text in ENDINGS.items() if isinstance(exc, kind)), None)


def exception_summary(exc: BaseException) -> str:
    """`TypeError: ...` plus what it usually means, for an ordinary exception."""
    name = type(exc).__name__
    text = str(exc).strip()
    if isinstance(exc, RecursionError):
        return "RecursionError: a function kept calling itself and never stopped."
    if isinstance(exc, MemoryError):
        return "MemoryError: your code asked for more memory than there is."
    summary = f"{name}: {text.splitlines()[0]}" if text else name
    for note in getattr(exc, "__notes__", ()):
        summary += f"\n  {note}"
    hint = next((advice for pattern, advice in KNOWN_ERRORS if re.search(pattern, text)), None)
    return f"{summary}\n  Likely mistake: {hint}" if hint else summary
