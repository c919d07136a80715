"""The warm state that every process running learner code starts from: torch imported, without
any thread pool, and torch's compiler stood in for (lazy_dynamo)."""

from __future__ import annotations

import os
import warnings

from . import lazy_dynamo

# Thread pools that numpy's and torch's maths libraries start at import would be copied
# into every fork without their threads; the exercises' tensors are tiny, one thread will do.
SINGLE_THREADED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def warm_up() -> None:
    """Import what every exercise needs, without starting any thread pool (forks follow)."""
    for name in SINGLE_THREADED:
        os.environ[name] = "1"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch

        torch.set_num_threads(1)
    lazy_dynamo.install()
