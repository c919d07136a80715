"""When one process may grade the next exercise of the same submission.

A batch grades each submission's exercises in turn in one process where it can: one fork
instead of nine. An exercise must still be graded as if it were alone, so before the
next one starts, the process checks that the learner's code left no trace in the state
the tests depend on (threads and processes it started, interpreter and torch settings,
signal handlers, import machinery, loaded modules). If it did, the process ends and the
next exercise starts in a fresh one. The tripwire (kata.guard) watches the functions the
tests use after every test, in every process.

Such a check cannot see everything, so the runner keeps a second rule: a verdict other
than "passed" or "not started" is only taken from a process in which that exercise's
code was the first learner code to run (see Runner.run).
"""

from __future__ import annotations

import os
import random
import signal
import sys
import warnings
from types import ModuleType

from .runner import child_processes

# Signals whose handlers are compared: every one the platform knows, except those
# Python cannot query.
_SIGNALS = sorted(s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP))
_TIMERS = tuple(getattr(signal, name) for name in ("ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF")
                if hasattr(signal, name))


def _threads() -> int:
    """Threads of this process, those started by C code included (Linux, as Runner.shares requires)."""
    return len(os.listdir("/proc/self/task"))


# Modules whose entry in sys.modules is compared, rather than all: reading an entry writes
# to its module object (its reference count), and each page written in a fork is copied.
MODULES = ("builtins", "math", "random", "torch", "torch.nn", "torch.nn.functional", "torch.autograd",
           "torch.optim", "torch.testing", "numpy", "pytest", "pytest_check")


def _planted() -> bool:
    """Whether an entry for a learner's module was put in sys.modules other than by importing
    its file: the next exercise would get that, not the file."""
    from . import loader

    folder = loader.target()
    for path in folder.glob("*.py"):
        name = f"{loader.PACKAGE}.{path.stem}"
        if name not in sys.modules:
            continue
        spec = getattr(sys.modules[name], "__spec__", None)
        if not isinstance(getattr(spec, "loader", None), loader.FromSource) or spec.origin != str(path):
            return True
    return False


def _settings(torch: ModuleType) -> dict[str, object]:
    """What a test's outcome may depend on besides its own inputs and the watched functions."""
    return {
        "threads": _threads(),
        "trace": (sys.gettrace(), sys.getprofile()),
        "recursion limit": sys.getrecursionlimit(),
        "streams": (sys.stdin, sys.stdout, sys.stderr),
        "working folder": os.getcwd(),
        "environment": {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"},  # pytest's own
        "import system": (list(sys.path), list(sys.meta_path), list(sys.path_hooks)),
        "warning filters": list(warnings.filters),
        "signal handlers": [signal.getsignal(s) for s in _SIGNALS],
        "timers": [signal.getitimer(t) for t in _TIMERS],
        "torch modes": (torch.get_default_dtype(), torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
                        torch.is_anomaly_enabled(), torch.get_num_threads(),
                        torch.are_deterministic_algorithms_enabled()),
    }


class State:
    """The process's state before any learner code ran, to compare with after each exercise."""

    def __init__(self) -> None:
        import torch  # here, not at the top: the grader sets torch's threads up before importing it

        self._torch = torch
        self._settings = _settings(torch)
        self._modules = {name: sys.modules.get(name) for name in MODULES}
        self._torch_rng = torch.get_rng_state()
        self._random = random.getstate()

    def changes(self) -> list[str]:
        """What differs from the note: empty when the next exercise may run in this process."""
        now = _settings(self._torch)
        changed = [name for name, value in self._settings.items() if now[name] != value]
        if child_processes():
            changed.append("child processes")
        if any(sys.modules.get(name) is not module for name, module in self._modules.items()):
            changed.append("loaded modules")
        if _planted():
            changed.append("learner modules")
        return changed

    def restore(self) -> None:
        """Put back what each exercise may use up without harm: the random number generators."""
        self._torch.set_rng_state(self._torch_rng)
        random.setstate(self._random)
