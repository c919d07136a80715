"""A stand-in for torch._dynamo, torch's compiler, until something needs the compiler itself.

Every optimizer's step() imports torch._dynamo only to mark where a compiled graph would
break, and that import takes seconds: far more than all the tests of an exercise. The
stand-in answers the two calls optimizers make while nothing compiles; anything else it is
asked for (torch.compile, say) loads the real module, which takes its place.
"""

from __future__ import annotations

import importlib
import sys
import types


class _StandIn(types.ModuleType):
    def graph_break(self) -> None:
        """Where a compiled graph would break: nothing to do while nothing compiles."""

    def disable(self, fn=None, recursive: bool = True, wrapping: bool = True):
        """Keeps `fn` from being compiled: nothing compiles, so `fn` itself does."""
        return fn

    def __getattr__(self, name: str):
        # A look at what the module is (__file__, as pytest reports a test module that does not
        # load) is no need of the compiler, and loading it from there left it half imported; a
        # submodule's import (__path__) is a need.
        if name.startswith("__") and name != "__path__":
            raise AttributeError(name)
        import torch

        del sys.modules["torch._dynamo"], torch._dynamo
        return getattr(importlib.import_module("torch._dynamo"), name)


def install() -> None:
    """Put the stand-in in place, unless the real module is loaded already."""
    import torch

    if "torch._dynamo" not in sys.modules:
        sys.modules["torch._dynamo"] = torch._dynamo = _StandIn("torch._dynamo")
