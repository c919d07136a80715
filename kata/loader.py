"""Loading a learner's exercise file from the folder being graded.

The folder becomes a package named `kata_target`, so the learner's relative imports
(`from .ex04_mse_loss import mse_loss`) find the earlier exercises in the same folder
and never in another one. The folder needs no `__init__.py`, and nothing is written
into it. Every file is compiled from its source as it is now: a `__pycache__` left in
the folder by `python -m exercises...` is never used, even when a quick edit keeps the
file's size and modification second.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

from . import ROOT
from .meta import Exercise, chapter

PACKAGE = "kata_target"

_target: Path | None = None
_failed: dict[str, LoadError] = {}
_parsed: dict[str, ast.Module] = {}  # a file already parsed for the shortcut check, by module name


class FromSource(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        tree = _parsed.pop(fullname, None)
        path = self.get_filename(fullname)
        return compile(tree if tree is not None else self.get_data(path), path, "exec", dont_inherit=True)


class _TargetFinder(importlib.abc.MetaPathFinder):
    """Finds `kata_target.<file>` in the target folder, to be compiled from source."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, stem = fullname.partition(".")
        if package != PACKAGE or not stem or "." in stem or _target is None:
            return None
        file = _target / f"{stem}.py"
        if not file.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, file, loader=FromSource(fullname, str(file)))


class LoadError(Exception):
    """A learner's file could not be loaded; the message says why, for the learner."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        super().__init__(message)
        self.file = file
        self.line = line


def set_target(folder: Path) -> None:
    """Grade `folder` from now on in this process (a child process of the grader)."""
    global _target
    _target = Path(folder).resolve()
    sys.dont_write_bytecode = True
    pkg = types.ModuleType(PACKAGE)
    pkg.__path__ = [str(_target)]
    pkg.__package__ = PACKAGE
    sys.modules[PACKAGE] = pkg
    if not any(isinstance(f, _TargetFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _TargetFinder())


def target() -> Path:
    if _target is None:
        raise RuntimeError("no target folder set: the grader calls loader.set_target() first")
    return _target


def load(ex: Exercise) -> types.ModuleType:
    """The learner's module for `ex`, imported once per process."""
    name = f"{PACKAGE}.{ex.stem}"
    if name in sys.modules:
        return sys.modules[name]
    if name in _failed:
        raise _failed[name]
    path = target() / ex.file
    try:
        source = _read(ex, path)
        from .guard import check_source

        try:
            tree = ast.parse(source, filename=str(path))
        except (SyntaxError, ValueError):
            tree = None  # the import below reports it, with file and line
        if tree is not None:
            check_source(ex, path, tree)
            _parsed[name] = tree
        try:
            return importlib.import_module(name)
        except LoadError:
            raise  # a shortcut, found while the file was being imported
        except BaseException as exc:  # learner code may raise anything, SystemExit included
            raise _explain_import_failure(ex, exc, source) from exc
    except LoadError as err:
        _failed[name] = err
        raise


def reset_command(ex: Exercise) -> str:
    """The command that restores the stub of `ex` in the folder being graded."""
    folder = target()
    where = "" if folder == (ROOT / "exercises").resolve() else f" --target {folder}"
    return f"python grader.py reset {ex.number}{where}"


def _read(ex: Exercise, path: Path) -> bytes:
    """The bytes of the learner's file, or a LoadError that says why there are none."""
    if not path.is_file():
        raise LoadError(
            f"{ex.file} is missing from {target()}. Restore the exercise with `{reset_command(ex)}`.",
            file=ex.file,
        )
    try:
        return path.read_bytes()
    except OSError as e:
        raise LoadError(
            f"{ex.file} cannot be read ({e.strerror or e}). Check that the file is yours and "
            f"readable, or restore the exercise with `{reset_command(ex)}`.",
            file=ex.file,
        ) from None


def function(name: str):
    """The learner's function `name`, from the exercise that defines it."""
    ex = next(e for e in chapter().exercises if e.name == name)
    module = load(ex)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise LoadError(
            f"{ex.file} has no function named `{name}`. Keep the name and the signature "
            f"of the stub: the tests call `{name}` by that name.",
            file=ex.file,
        )
    return fn


def _first_bad_line(data: bytes) -> int | None:
    """The line (from 1) of the first byte that is not UTF-8, if there is one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return data.count(b"\n", 0, e.start) + 1
    return None


def _explain_import_failure(ex: Exercise, exc: BaseException, source: bytes) -> LoadError:
    from .explain import behaviour, exception_summary, learner_frame

    if isinstance(exc, SyntaxError):
        file = Path(exc.filename).name if exc.filename else ex.file
        bad = _first_bad_line(source) if file == ex.file else None
        if bad is not None and "utf-8" in str(exc).lower():
            return LoadError(
                f"{file}, line {bad}, is not valid UTF-8 text: it has a character Python cannot "
                f"read. Save the file as UTF-8 in your editor, or restore the exercise with "
                f"`{reset_command(ex)}`.",
                file=file, line=bad,
            )
        text = (exc.text or "").strip()
        where = f"{file}, line {exc.lineno}" if exc.lineno else file
        msg = f"Python could not read {where}: {type(exc).__name__}: {exc.msg}"
        if text:
            msg += f"\n    {text}"
        return LoadError(msg, file=file, line=exc.lineno)
    if isinstance(exc, ModuleNotFoundError) and exc.name and exc.name.startswith("ex"):
        return LoadError(
            f"{ex.file} imports `{exc.name}`, which Python looks for outside the exercises. "
            f"Import earlier exercises relatively: `from .{exc.name} import ...`.",
            file=ex.file,
        )
    frame = learner_frame(exc)
    file, line = (frame.file, frame.line) if frame else (ex.file, None)
    special = behaviour(exc, frame)
    if special is not None:
        return LoadError(f"While {ex.file} was loading: {special}", file=file, line=line)
    where = f" ({frame.file}, line {frame.line})" if frame else ""
    message = f"Loading {ex.file} failed{where}: {exception_summary(exc)}"
    if isinstance(exc, ModuleNotFoundError):
        message += ("\n  Likely mistake: a misspelt module name (PyTorch's is `torch`), or a "
                    "package that is not installed and that the exercise does not need.")
    return LoadError(message, file=file, line=line)
