"""The command line: `python grader.py [COMMAND] ...`, one module per command in kata/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import tempfile
import traceback
from pathlib import Path

from .meta import chapter
from .target import UsageError

REPORT_AT = "the kata's issue tracker (README.md, 'Reporting a problem')"
ERROR_LOG = "kata-grader-error.txt"  # in the system's temporary folder


def commands() -> dict[str, object]:
    """Command name -> its module: every module in kata/commands with a NAME, by ORDER."""
    from . import commands as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"kata.commands.{info.name}")
        if hasattr(module, "NAME"):
            found.append(module)
    return {m.NAME: m for m in sorted(found, key=lambda m: m.ORDER)}


def usage(parser: argparse.ArgumentParser) -> str:
    """The parser's usage, on one line."""
    return " ".join(parser.format_usage().split())


class Parser(argparse.ArgumentParser):
    subcommands: dict[str, argparse.ArgumentParser]

    def error(self, message: str):  # one line on stderr and exit 2, see main()
        if "EXERCISE" in message:
            message += f" (one of {chapter().valid_names()})"
        elif any(phrase in message for phrase in ("are required", "expected one argument", "expected at least one")):
            message += f" ({usage(self)})"
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
    parser.subcommands = sub.choices
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
    parser = build_parser()
    args, extra = parser.parse_known_args(normalise(argv))
    if extra:
        command = parser.subcommands[args.command]
        raise UsageError(f"{args.command} does not take {' '.join(extra)} ({usage(command)})")
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
        log = Path(tempfile.gettempdir()) / ERROR_LOG
        details = (f"python grader.py {' '.join(argv)}\nPython {sys.version.split()[0]} on "
                   f"{platform.platform()}\n\n{traceback.format_exc()}")
        try:
            log.write_text(details, encoding="utf-8")
            where = f"The details are in {log}."
        except OSError:
            where = "Details:\n" + traceback.format_exc()
        print(
            "grader: internal error: the grader itself failed; this is not caused by your code. "
            f"{where} Please report it at {REPORT_AT}.",
            file=sys.stderr,
        )
        return 3
