"""The command line: `python grader.py [COMMAND] ...`, one module per command in this package."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

from .. import UsageError, __version__
from ..catalogue.course import course
from . import check, grade, gradescope, hint, listing, notebooks, release, reset, watch

REPORT_AT = "the kata's issue tracker (README.md, 'Reporting a problem')"
ERROR_LOG = "kata-grader-error.txt"  # in the system's temporary folder

# The commands, in the order --help lists them, each with its module.
COMMANDS = {"check": check, "watch": watch, "list": listing, "hint": hint, "reset": reset,
            "notebooks": notebooks, "release": release, "grade": grade, "gradescope": gradescope}


def usage(parser: argparse.ArgumentParser) -> str:
    """The parser's usage, on one line."""
    return " ".join(parser.format_usage().split())


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line on stderr and exit 2, see main()
        if "EXERCISE" in message:
            message += f" (one of {course().valid_names()})"
        elif any(phrase in message for phrase in ("are required", "expected one argument", "expected at least one")):
            message += f" ({usage(self)})"
        raise UsageError(message)


def run(argv: list[str]) -> int:
    parser = Parser(
        prog="python grader.py",
        description="Grade your solutions to the PyTorch kata, and get hints.",
        epilog="With no command, `check` grades every exercise. Exit status: 0 everything graded "
               "passed, 1 something did not pass, 2 bad command line, 3 internal error of the grader.",
    )
    parser.add_argument("--version", action="version", version=f"PyTorch kata grader {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        COMMANDS[name].register(sub, name)
    args, extra = parser.parse_known_args(normalise(argv))
    if extra:
        raise UsageError(f"{args.command} does not take {' '.join(extra)} ({usage(sub.choices[args.command])})")
    return COMMANDS[args.command].run(args)


def normalise(argv: list[str]) -> list[str]:
    """`python grader.py`, `python grader.py --target x` and `python grader.py 3` mean `check`."""
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        return ["check", *argv]
    if argv[0] in COMMANDS or argv[0].startswith("-"):
        return argv
    if course().find(argv[0]) is not None:
        return ["check", *argv]
    near = course().suggestions(argv[0])
    guess = f"did you mean {' or '.join(e.name for e in near)}? " if near else ""
    raise UsageError(f"unknown command or exercise '{argv[0]}': {guess}commands are {', '.join(COMMANDS)}; "
                     f"exercises are {course().valid_names()}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except UsageError as e:
        print(f"grader: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`python grader.py | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception:
        log = Path(tempfile.gettempdir()) / ERROR_LOG
        details = (f"python grader.py {' '.join(argv)}\nPython {sys.version.split()[0]} on "
                   f"{platform.platform()}\n\n{traceback.format_exc()}")
        try:
            log.write_text(details, encoding="utf-8")
            where = f"The details are in {log}."
        except OSError:
            where = "Details:\n" + traceback.format_exc()
        print("grader: internal error: the grader itself failed; this is not caused by your code. "
              f"{where} Please report it at {REPORT_AT}.", file=sys.stderr)
        return 3
