"""Loading a learner's exercise files from the folders being graded.

Each chapter's folder becomes a package, `kata_target.<chapter folder>`, so the learner's
relative imports (`from .ex04_mse_loss import mse_loss`) find the earlier exercises of the
same chapter in the same folder and never anywhere else. The folders need no `__init__.py`,
and nothing is written into them. Every file is compiled from its source as it is now: a
`__pycache__` left in a folder by `python -m exercises...` is never used, even when a quick
edit keeps the file's size and modification second.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest

from ..catalogue.course import Exercise, course
from ..outcomes import Location
from .explain import LoadError, behaviour, exception_summary, learner_frame
from .guard import check_source

PACKAGE = "kata_target"


class Learner:
    """The learner's code: for each chapter folder name, the folder that holds its files. Made
    once per process; it installs the import hook that finds the files."""

    def __init__(self, folders: dict[str, Path], reset_hint: str = ""):
        self.folders = {name: Path(folder).resolve() for name, folder in folders.items()}
        self.reset_hint = reset_hint  # `--target ...` for the reset command, when not exercises/
        self.prefixes = tuple(dict.fromkeys(f"{folder}{os.sep}" for folder in self.folders.values()))
        self._failed: dict[str, LoadError] = {}
        self._parsed: dict[str, ast.Module] = {}  # a file already parsed for the shortcut check
        sys.dont_write_bytecode = True
        root = types.ModuleType(PACKAGE)
        root.__path__ = []
        sys.modules[PACKAGE] = root
        for name, folder in self.folders.items():
            package = types.ModuleType(f"{PACKAGE}.{name}")
            package.__path__ = [str(folder)]
            package.__package__ = package.__name__
            sys.modules[package.__name__] = package
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]
        sys.meta_path.insert(0, _Finder(self))

    def load(self, ex: Exercise) -> types.ModuleType:
        """The learner's module for `ex`, imported once per process."""
        name = f"{PACKAGE}.{ex.folder}.{ex.stem}"
        if name in sys.modules:
            return sys.modules[name]
        if name in self._failed:
            raise self._failed[name]
        path = self.folders[ex.folder] / ex.file
        try:
            source = self._read(ex, path)
            try:
                tree = ast.parse(source, filename=str(path))
            except (SyntaxError, ValueError):
                pass  # the import below reports it, with file and line
            else:
                check_source(ex, path, tree)
                self._parsed[name] = tree
            try:
                return importlib.import_module(name)
            except LoadError:
                raise  # a shortcut, found while the file was being imported
            except BaseException as exc:  # learner code may raise anything, SystemExit included
                raise self._import_failure(ex, exc, source) from exc
        except LoadError as err:
            self._failed[name] = err
            raise

    def get(self, name: str) -> object:
        """The learner's function or class `name`, from the exercise that defines it."""
        ex = course().named(name)
        found = getattr(self.load(ex), name, None)
        if not callable(found):
            raise LoadError(f"{ex.file} has no function or class named `{name}`. Keep the name and the "
                            f"signature of the stub: the tests use `{name}` by that name.", Location(ex.file))
        return found

    def reset_command(self, ex: Exercise) -> str:
        return f"python grader.py reset {ex.number}{self.reset_hint}"

    def _read(self, ex: Exercise, path: Path) -> bytes:
        """The bytes of the learner's file, or a LoadError that says why there are none."""
        if not path.is_file():
            raise LoadError(f"{ex.file} is missing from {path.parent}. Restore the exercise with "
                            f"`{self.reset_command(ex)}`.", Location(ex.file))
        try:
            return path.read_bytes()
        except OSError as e:
            raise LoadError(f"{ex.file} cannot be read ({e.strerror or e}). Check that the file is yours and "
                            f"readable, or restore the exercise with `{self.reset_command(ex)}`.",
                            Location(ex.file)) from None

    def _import_failure(self, ex: Exercise, exc: BaseException, source: bytes) -> LoadError:
        if isinstance(exc, SyntaxError):
            file = Path(exc.filename).name if exc.filename else ex.file
            bad = _first_bad_line(source) if file == ex.file else None
            if bad is not None and "utf-8" in str(exc).lower():
                return LoadError(f"{file} is not valid UTF-8 text: it has a character Python cannot read. Save "
                                 f"the file as UTF-8 in your editor, or restore the exercise with "
                                 f"`{self.reset_command(ex)}`.", Location(file, bad))
            return LoadError(f"Python could not read {file}: {type(exc).__name__}: {exc.msg}",
                             Location(file, exc.lineno or 0, (exc.text or "").strip()))
        if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith("ex"):
            return LoadError(f"{ex.file} imports `{exc.name}`, which Python looks for outside the exercises. "
                             f"Import earlier exercises relatively: `from .{exc.name} import ...`.", Location(ex.file))
        where = learner_frame(exc, self.prefixes) or Location(ex.file)
        special = behaviour(exc)
        if special is not None:
            return LoadError(f"While {ex.file} was loading: {special}", where)
        message = f"Loading {ex.file} failed: {exception_summary(exc)}"
        if isinstance(exc, ModuleNotFoundError):
            message += ("\n  Likely mistake: a misspelt module name (PyTorch's is `torch`), or a "
                        "package that is not installed and that the exercise does not need.")
        return LoadError(message, where)


class _FromSource(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, parsed: dict[str, ast.Module]):
        super().__init__(fullname, path)
        self.parsed = parsed

    def get_code(self, fullname):
        tree = self.parsed.pop(fullname, None)
        path = self.get_filename(fullname)
        return compile(tree if tree is not None else self.get_data(path), path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds `kata_target.<chapter folder>.<file>` in the learner's folders, to be compiled from source."""

    def __init__(self, learner: Learner):
        self.learner = learner

    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) != 3 or parts[0] != PACKAGE or parts[1] not in self.learner.folders:
            return None
        file = self.learner.folders[parts[1]] / f"{parts[2]}.py"
        if not file.is_file():
            return None
        loader = _FromSource(fullname, str(file), self.learner._parsed)
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def _first_bad_line(data: bytes) -> int | None:
    """The line (from 1) of the first byte that is not UTF-8, if there is one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return data.count(b"\n", 0, e.start) + 1
    return None


# Where the tests find the Learner of the process: the grader stores it in pytest's config.
LEARNER = pytest.StashKey[Learner]()
