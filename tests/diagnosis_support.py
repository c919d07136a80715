"""The diagnosis pieces every chapter's tests share: whose fault a failure is, and what the
learner's code did.

- Whose fault: `earlier_fault` runs a failing function again with correct pieces in place of
  the learner's (conftest's `record` with `using`, or `substitute`), and `quietly` and
  `without_global_rng` make those runs safe: an error only means a piece is wrong, and torch's
  random state is left as it was. `support.diagnose` is the one matcher of numbers against
  known wrong answers.
- What the code did: `loop` finds the round of calls a training loop repeats, `told` says the
  calls as the learner wrote them, `order_mistake` reads zero_grad, backward and step in order.
- nn.Module's missing set-up recognised (`missing_super`), and a scratch folder for files.

A chapter keeps its own oracles (the correct pieces and the probes of its exercises) in its
support module beside its tests. Nothing here runs when it is imported.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import torch
from support import Mistake, attempt, facts, is_tensor, loaded, values

from kata.catalogue.course import course

NO_SUPER = Mistake("no-super",
                   "nn.Module's own set-up never ran: call super().__init__() first in __init__, before "
                   "assigning any parameter or layer to self.")


def missing_super(exc: BaseException) -> bool:
    """Whether `exc` is what nn.Module raises when a subclass's __init__ skipped super().__init__()."""
    text = str(exc)
    return isinstance(exc, AttributeError) and (
        "Module.__init__" in text or re.search(r"has no attribute '_(parameters|buffers|modules|\w*hooks)", text)
        is not None)


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A temporary folder for the files a test writes, removed afterwards. Graded as another user, the
    learner's process cannot write to the grader's temporary directory; its current folder is its own."""
    base = None if os.access(tempfile.gettempdir(), os.W_OK) else os.getcwd()
    with tempfile.TemporaryDirectory(dir=base) as folder:
        yield Path(folder)


# --- Whose fault it is: runs with correct pieces in place of the learner's ----------------


def quietly(fn: Callable, *args):
    """fn(*args), or None if it raises: for probes and runs with correct pieces in place of the learner's,
    where an error only means that the learner's piece is not right."""
    try:
        return fn(*args)
    except Exception:
        return None


def without_global_rng(fn: Callable, *args):
    """fn(*args), with torch's global random state put back afterwards, whatever fn did to it."""
    with torch.random.fork_rng(devices=[]):
        return fn(*args)


def fresh(args: tuple) -> tuple:
    """The same arguments, with copies of the tensors (the function may not change them, but might)."""
    return tuple(a.clone() if is_tensor(a) else a for a in args)


def learner_function(name: str) -> Callable | None:
    """The learner's function or class `name`, if its module is loaded (see support.loaded)."""
    return getattr(loaded(name), name, None)


def tried(what: str, fn: Callable, *args) -> tuple[object, str | None]:
    """(what fn returned, None), or (None, the sentence saying what it raised): for probes."""
    result, exc = attempt(fn, *args, describe=what)
    return result, None if exc is None else f"{what} raises {type(exc).__name__}: {exc}"


def substitute(monkeypatch, module, name: str, replacement: object) -> bool:
    """Put `replacement` in place of the learner's `name`, wherever their modules refer to it.

    `module` is the learner's module that defines `name`. Every module of the same package
    that holds the same object (under any name) gets the replacement, until the test ends.
    False when there is nothing of that name to replace.
    """
    original = getattr(module, name, None)
    if original is None:
        return False
    package = module.__name__.rpartition(".")[0] + "."
    # Only the names of sys.modules are read, and the modules of the learner's package touched.
    for key in [k for k in sys.modules if k.startswith(package)]:
        learner = sys.modules[key]
        for attr, value in list(vars(learner).items()):
            if value is original:
                monkeypatch.setattr(learner, attr, replacement)
    return True


def exercise_of(name: str) -> str:
    """`mse_loss (exercise 04)`: a learner function with the exercise that defines it."""
    return f"{name} (exercise {course().find(name).id})"


def earlier_fault(name: str, right: Callable[[dict[str, Callable]], bool], ours: dict[str, Callable],
                  probe: Callable[[str], str | None]) -> str | None:
    """Why the learner's `name` fails, when the fault is in the earlier functions it uses; None
    when it is its own.

    `right(using)` runs the learner's `name` again with the tests' own versions `using` in
    place of the learner's, and says whether it is then right; `probe(function)` says, in a
    sentence, how the learner's function differs from the lesson on a small input (None if
    it does not show there). If `name` is right with all of `ours`, the functions at fault
    are those whose probe shows a difference, or else those that make it wrong again when
    theirs is the only learner version left among ours.
    """
    if not right(ours):
        return None
    seen = {piece: text for piece in ours if (text := probe(piece))}
    wrong = list(seen) or [piece for piece in ours if len(ours) == 1
                           or not right({k: v for k, v in ours.items() if k != piece})]
    if not wrong:
        return Mistake("earlier-exercise",
                       f"your {name} itself is right: with correct versions of {listed(ours)} in place of "
                       f"yours it gives the expected result, but yours together do not: look at "
                       f"{', '.join(map(exercise_of, ours))} first.")
    verb, instead = (("is", f"a correct {wrong[0]} in its place") if len(wrong) == 1 else
                     ("are", "correct versions in their place"))
    return Mistake("earlier-exercise",
                   f"your {name} itself is right, but your {' and '.join(map(exercise_of, wrong))} {verb} not"
                   + (f": {'; '.join(seen.values())}" if seen else "")
                   + f". With {instead}, your {name} gives the expected result: fix exercise "
                   f"{course().find(wrong[0]).id} first.")


# --- What the learner's code did: its calls, read in order -------------------------------


def times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def told(names: list[str], rounds: int, who: str = "train", unit: str = "epoch") -> str:
    """The calls that the learner's `who` made, as the learner reads them: the round its loop
    repeats `rounds` times when there is one, else the calls one after another."""
    found = loop(names, rounds) if rounds > 1 else None
    if found:
        before, body, after = found
        text = (f"your {who} called {listed(before)}, then in each {unit} {listed(body)}" if before
                else f"in each {unit} your loop called {listed(body)}")
        return text + (f", and after the loop {listed(after)}" if after else "")
    shown = listed(names[:12]) + (", ..." if len(names) > 12 else "")
    return f"your {who} called {shown}" if names else f"your {who} called none of your functions"


def _flat(value: object) -> list:
    return [v for item in value for v in _flat(item)] if isinstance(value, list) else [value]


def holds(given: object, data: torch.Tensor) -> bool:
    """Whether `given` is a tensor holding the values of `data` (or of a copy of it), in any shape."""
    return is_tensor(given) and _flat(facts(given).value) == _flat(values(data))


def loop(names: list[str], rounds: int) -> tuple[list[str], list[str], list[str]] | None:
    """(the calls before the loop, the calls of one round, the calls after it) when `names` is
    at most two calls, the same round `rounds` times over, then at most two calls; None when
    they do not repeat so. The split with the fewest calls outside the loop wins."""
    for outside in range(5):
        for before in range(max(0, outside - 2), min(outside, 2) + 1):
            body = names[before:len(names) - (outside - before)]
            size = len(body) // rounds if rounds > 0 else 0
            if size and body == body[:size] * rounds:
                return names[:before], body[:size], names[len(names) - (outside - before):]
    return None


def listed(names: Sequence[str]) -> str:
    """Calls as the learner wrote them: `predict, mse_loss, backward()`."""
    return ", ".join(f"{n}()" if n == "backward" else n for n in names)


TRAINING_CALLS = ("zero_grad", "backward", "step")


def logging(log: list[str], event: str, fn: Callable) -> Callable:
    """fn, appending `event` to `log` each time it is called."""

    @functools.wraps(fn)
    def logged(*args, **kwargs):
        log.append(event)
        return fn(*args, **kwargs)

    return logged


def log_backward(monkeypatch, log: list[str]) -> None:
    """Every backward() (loss.backward() goes through torch.autograd.backward) is logged until the test ends."""
    monkeypatch.setattr(torch.autograd, "backward", logging(log, "backward", torch.autograd.backward))


def calls_read(log: Iterable[str], shown: int = 9) -> str:
    calls = [e for e in log if e in TRAINING_CALLS]
    text = ", ".join(calls[:shown]) + (", ..." if len(calls) > shown else "")
    return f"{text} ({len(calls)} calls)" if calls else "no call of zero_grad, backward or step"


def order_mistake(log: Iterable[str], unit: str, count: int, stale_start: bool = False) -> str | None:
    """What is wrong with the order of zero_grad, backward and step over `count` units, if anything.

    A unit (an epoch, a batch) needs a backward() and then a step(), with a zero_grad() before
    the backward unless no gradient can be left over: the first unit, when `stale_start` is
    false. zero_grad at the end of each unit is as good as at its start.
    """
    calls = [e for e in log if e in TRAINING_CALLS]
    backwards, steps = calls.count("backward"), calls.count("step")
    if backwards == 0:
        return Mistake("no-backward", "backward() was never called, so there were no gradients for step() to follow.")
    if steps == 0:
        return Mistake("no-step", "optimizer.step() was never called, so no parameter changed.")
    if backwards != count or steps != count:
        units = "batches" if unit == "batch" else f"{unit}s"
        return (Mistake("wrong-call-counts",
                f"backward() ran {backwards} times and step() {steps} times in {count} {units}: "
                f"each {unit} needs exactly one of each."))
    if "zero_grad" not in calls:
        return (Mistake("no-zero-grad",
                "zero_grad() was never called. backward() adds to .grad, so every step followed the sum "
                "of all the gradients so far. Call optimizer.zero_grad() before backward() each time."))
    since: list[str] = []
    for n, event in enumerate(calls):
        if event != "step":
            since.append(event)
            continue
        first = n == calls.index("step")
        if "backward" not in since:
            return (Mistake("step-before-backward",
                    f"step() ran before backward() in each {unit}, so each step followed the gradient of the "
                    f"{unit} before (or none at all). The order is zero_grad(), backward(), step()."))
        last_backward = len(since) - 1 - since[::-1].index("backward")
        if "zero_grad" in since[last_backward:]:
            return (Mistake("zero-grad-between",
                    "zero_grad() ran between backward() and step(), so step() found the gradients already "
                    "cleared and nothing was learned. The order is zero_grad(), backward(), step()."))
        if "zero_grad" not in since[:last_backward] and (not first or stale_start):
            if first:
                return (Mistake("stale-first-grad",
                        f"the first {unit}'s step followed the gradients left in .grad from before: call "
                        f"optimizer.zero_grad() before backward() in every {unit}, the first one too."))
            return (Mistake("zero-grad-not-every",
                    f"zero_grad() was not called in every {unit}, so gradients added up across {unit}s. "
                    f"Call it once per {unit}, before backward()."))
        since = []
    return None
