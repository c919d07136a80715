"""Everything the grader uses from pytest and pytest-check beyond their documented API, in one place.

A new release of either may move these; `.ci/compat` grades the references and the stubs with
the lowest and the newest versions that pyproject.toml allows, and so tries every name here.
Only the exceptions are imported with this module: a notebook's kernel needs them without the
rest of pytest.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING

# The exceptions behind pytest.fail(), pytest.exit(), pytest.skip() and pytest.xfail().
from _pytest.outcomes import Exit, Failed, Skipped, XFailed  # noqa: F401 (for the modules that import them from here)

if TYPE_CHECKING:
    import pytest

# Loads pytest-check and keeps its report of a failed check to the check's own message.
CHECK_PLUGIN_ARGS = ("-p", "pytest_check.plugin", "--check-max-tb=0")


def failure_reader() -> Callable[[], list[str]]:
    """pytest-check's reader of the failed checks of the test that runs now. Take it before
    learner code runs, which could replace it."""
    import pytest_check.check_log

    return pytest_check.check_log.get_failures


def run_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> list[pytest.TestReport]:
    """Run one test (setup, call, teardown) the way pytest runs it, without printing; its reports."""
    from _pytest.runner import runtestprotocol

    return runtestprotocol(item, log=False, nextitem=nextitem)


def was_xfail(report: pytest.TestReport) -> bool:
    """Whether the test passed only as an expected failure (pytest.xfail, or xfail(strict=False))."""
    return bool(getattr(report, "wasxfail", None))


def one_line_failures(session: pytest.Session) -> None:
    """Have pytest keep one line of each failure instead of a traceback the grader never shows."""
    session.config.option.tbstyle = "no"
    for item in session.items:
        item.repr_failure = _one_line


def _one_line(excinfo, style=None) -> str:
    return excinfo.exconly()


def watched() -> list[tuple[str, ModuleType | type, tuple[str, ...] | None]]:
    """What the grader relies on in pytest and pytest-check, for the tripwire: (label, module or
    class, the names to watch in it, or None for all of them). pytest-check keeps its own state in
    module globals and reassigns them between tests, so there only its functions are watched."""
    import _pytest.reports
    import _pytest.runner
    import pytest_check.check_log as check_log

    functions = tuple(name for name, value in vars(check_log).items() if isinstance(value, FunctionType))
    return [
        ("pytest_check", check_log, functions),
        ("_pytest.runner", _pytest.runner, None), ("_pytest.runner.CallInfo", _pytest.runner.CallInfo, None),
        ("_pytest.reports", _pytest.reports, None), ("_pytest.reports.BaseReport", _pytest.reports.BaseReport, None),
        ("_pytest.reports.TestReport", _pytest.reports.TestReport, None),
    ]
