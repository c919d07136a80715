"""Fixtures for the exercise tests.

Each learner function is a fixture of the same name (`mse_loss`, `train`, ...), loaded
from the folder being graded when a test asks for it. A file that does not load fails
the tests that need it, and only those.
"""

import pytest

from kata import loader
from kata.meta import chapter


def _learner_fixture(name: str):
    @pytest.fixture(name=name)
    def learner_function():
        return loader.function(name)

    learner_function.__doc__ = f"The learner's `{name}`."
    return learner_function


for _ex in chapter().exercises:
    globals()[f"fixture_{_ex.name}"] = _learner_fixture(_ex.name)
