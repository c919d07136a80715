"""The command line: `python grader.py [COMMAND] ...`, one module per command in kata/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tempfile
import traceback
from pathlib import Path

from .meta import chapter
from .target import UsageError

REPORT_AT = "the kata's issue tracker (README.md, 'Reporting a problem')"



def commands() -> dict[str, object]:
    """Command name -> its module: every module in kata/commands with a NAME, by ORDER."""
    from . import commands as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"kata.commands.{info.name}")
        if hasattr(module, "NAME"):
            found.append(module)
    return {m.NAME: m for m in sorted(found, key=lambda m: m.ORDER)}


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line on stderr and exit 2, see main()
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python grader.py",
        description="Grade your solutions to the PyTorch gradients kata, and get hints.",
        epilog="With no command, `check` grades every exercise. Exit status: 0 everything graded "
               "passed, 1 something did not pass, 2 bad command line, 3 internal error of the grader.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module in commands().items():
        module.register(sub, name)
    return parser


def normalise(argv: list[str]) -> list[str]:
    """`python grader.py`, `python grader.py --target x` and `python grader.py 3` mean `check`."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        return ["check", *argv]
    if argv[0] in commands() or argv[0].startswith("-"):
        return argv
    if chapter().find(argv[0]) is not None:
        return ["check", *argv]
    raise UsageError(
        f"unknown command or exercise '{argv[0]}': commands are {', '.join(commands())}; "
        f"exercises are {chapter().valid_names()}"
    )


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(normalise(argv))
    return commands()[args.command].run(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except UsageError as e:
        print(f"grader: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        log = Path(tempfile.gettempdir()) / "kata-grader-error.txt"
        try:
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f"The details are in {log}."
        except OSError:
            where = "Details:\n" + traceback.format_exc()
        print(
            "grader: internal error: the grader itself failed; this is not caused by your code. "
            f"{where} Please report it at {REPORT_AT}.",
            file=sys.stderr,
        )
        return 3
