"""What to grade: a folder laid out like exercises/ (a folder per chapter), or one chapter's
folder of exercise files, found relative to where the learner is or to the kata itself (so
`--target solutions` works from anywhere); and how reports name its files and lines."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import ROOT, UsageError
from ..catalogue.course import Chapter, Exercise, course
from ..outcomes import Location


@dataclass(frozen=True)
class Origin:
    """Where a converted exercise file came from: a notebook, and the lines of each of its cells."""

    notebook: str
    cells: tuple[tuple[int, int, str], ...]  # (first line, last line, label) in the file


@dataclass(frozen=True)
class Target:
    """The folders that hold the learner's files, one per chapter, and how reports name them."""

    name: str  # the folder as reports show it
    folders: dict[str, Path]  # chapter folder name -> the folder that holds its exercise files
    prefixes: dict[str, str] = field(default_factory=dict)  # chapter folder name -> its path inside the target
    origins: dict[str, Origin] = field(default_factory=dict)  # Exercise.path -> its notebook (notebook targets)
    absent: dict[str, str] = field(default_factory=dict)  # Exercise.path -> why the target lacks its code
    reset_hint: str = ""  # what `reset` needs besides the exercise to restore a file here

    @property
    def chapters(self) -> list[Chapter]:
        return [c for c in course().chapters if c.folder in self.folders]

    def holds(self, ex: Exercise) -> bool:
        return ex.folder in self.folders

    def file(self, ex: Exercise) -> str:
        """The exercise's file (or notebook) as the learner finds it inside the target."""
        origin = self.origins.get(ex.path)
        return origin.notebook if origin else self.prefixes.get(ex.folder, "") + ex.file

    def place(self, ex: Exercise, where: Location | None) -> Location | None:
        """`where`, a line of a file in the folder of `ex`'s chapter, as the learner knows it."""
        if where is None:
            return None
        other = course().by_file(ex.folder, where.file)
        if other is None:
            return where
        origin = self.origins.get(other.path)
        if origin is None:
            return replace(where, file=self.file(other))
        for first, last, label in origin.cells:
            if first <= where.line <= last:
                return replace(where, file=origin.notebook, line=where.line - first + 1, cell=label)
        return replace(where, file=origin.notebook, line=0, cell="the imports the grader adds")


def display_name(path: Path) -> str:
    """How a folder appears in messages: relative to the current folder when it can be."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def resolve(name: str) -> Path:
    """The folder (or file) `name` refers to; UsageError if there is none."""
    given = Path(name).expanduser()
    for candidate in (given, ROOT / given):
        if candidate.exists():
            return candidate.resolve()
    raise UsageError(f"target '{name}' does not exist: give exercises, solutions, or a folder laid out like exercises/")


def folder_target(folder: Path) -> Target:
    """The target for a folder: laid out like exercises/ (a folder per chapter), or one
    chapter's folder (the exercise files themselves, as a submission of one chapter is).
    A folder with neither is taken as one that should hold every chapter's files."""
    folder = folder.resolve()
    name = display_name(folder)
    home = [ROOT / "exercises", *(ROOT / "exercises" / c.folder for c in course().chapters)]
    hint = "" if folder in [p.resolve() for p in home] else f" --target {name}"
    chapters = [c for c in course().chapters if (folder / c.folder).is_dir()]
    if chapters:
        return Target(name, {c.folder: folder / c.folder for c in chapters},
                      {c.folder: f"{c.folder}/" for c in chapters}, reset_hint=hint)
    flat = [c for c in course().chapters if any((folder / e.file).exists() for e in c.exercises)]
    return Target(name, {c.folder: folder for c in flat or course().chapters}, reset_hint=hint)


def exercises_of(target: Target, chosen: list[Exercise]) -> list[Exercise]:
    """The chosen exercises that the target has a chapter for; UsageError if it has none of them."""
    held = [ex for ex in chosen if target.holds(ex)]
    if not held and chosen:
        have = ", ".join(f"chapter {c.number} ({c.folder}/)" for c in target.chapters) or "no chapter"
        raise UsageError(f"'{target.name}' holds {have}, not the exercises asked for")
    return held
