"""The course, its chapters and their exercises, read from course.toml: the one place that lists them."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

METADATA = Path(__file__).with_name("course.toml")


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    file: str  # inside the chapter's folder
    chapter: int
    folder: str  # the chapter's folder
    title: str
    points: float
    concept: str
    docs: tuple[str, ...]
    forbidden: tuple[str, ...]
    hints: tuple[str, ...]
    plot: str = ""  # the code of a "See it learn" notebook cell, if it has one
    plot_shows: str = ""  # what that plot shows, in a phrase
    test_points: tuple[tuple[str, float], ...] = ()  # (test function, its points); empty: all or nothing

    @property
    def partial(self) -> bool:
        """Whether its points go to its tests (partial credit) rather than to passing them all."""
        return bool(self.test_points)

    @property
    def number(self) -> int:
        return int(self.id)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def path(self) -> str:
        """Where the file is inside exercises/ and solutions/: `ch1_autograd/ex04_mse_loss.py`."""
        return f"{self.folder}/{self.file}"

    @property
    def test_path(self) -> str:
        """Its test module inside tests/: `ch1_autograd/test_ex04_mse_loss.py`."""
        return f"{self.folder}/test_{self.file}"

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})"


@dataclass(frozen=True)
class Chapter:
    number: int
    folder: str
    title: str
    finished: str
    exercises: tuple[Exercise, ...]

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)


@dataclass(frozen=True, eq=False)
class Course:
    title: str
    chapters: tuple[Chapter, ...]
    why: dict[str, str]  # forbidden name -> why it skips the point of its lesson

    @property
    def exercises(self) -> tuple[Exercise, ...]:
        return tuple(e for c in self.chapters for e in c.exercises)

    def chapter(self, number: int) -> Chapter | None:
        return next((c for c in self.chapters if c.number == number), None)

    def chapter_of(self, ex: Exercise) -> Chapter:
        return next(c for c in self.chapters if c.number == ex.chapter)

    def find(self, key: str) -> Exercise | None:
        """The exercise named by its number (`3`, `03`), its name (any case), or its file name."""
        key = key.strip()
        for ex in self.exercises:
            if (key.isdigit() and int(key) == ex.number) or key in (ex.name, ex.file, ex.stem, ex.path):
                return ex
        lowered = [e for e in self.exercises if e.name.lower() == key.lower()]
        return lowered[0] if len(lowered) == 1 else None

    def named(self, name: str) -> Exercise:
        """The exercise whose function or class is `name` (the name must exist)."""
        return next(e for e in self.exercises if e.name == name)

    def by_file(self, folder: str, file: str) -> Exercise | None:
        return next((e for e in self.exercises if e.folder == folder and e.file == file), None)

    def suggestions(self, key: str) -> list[Exercise]:
        """Exercises whose names look like `key`, for "did you mean"."""
        names = {e.name.lower(): e for e in self.exercises}
        close = difflib.get_close_matches(key.lower(), names, n=3, cutoff=0.6)
        starts = [n for n in names if key and (n.startswith(key.lower()) or key.lower() in n)]
        return [names[n] for n in dict.fromkeys(starts + close)][:3]

    def valid_names(self) -> str:
        return ", ".join(e.label for e in self.exercises)

    def unknown(self, key: str) -> str:
        """Why `key` names no exercise, with the likely ones; for a usage error."""
        near = self.suggestions(key)
        if near:
            return (f"unknown exercise '{key}': did you mean "
                    + " or ".join(f"{e.name} ({e.id})" for e in near) + "?")
        return f"unknown exercise '{key}': valid exercises are {self.valid_names()}"


def parse(text: str) -> Course:
    data = tomllib.loads(text)
    chapters = []
    for c in data["chapter"]:
        exercises = tuple(Exercise(
            id=e["id"], name=e["name"], file=e["file"], chapter=int(c["number"]), folder=c["folder"],
            title=e["title"], points=float(e["points"]), concept=e["concept"],
            docs=tuple(e.get("docs", ())), forbidden=tuple(e.get("forbidden", ())), hints=tuple(e["hints"]),
            plot=e.get("plot", "").strip("\n"), plot_shows=e.get("plot_shows", ""),
            test_points=_test_points(e),
        ) for e in c.get("exercise", ()))
        chapters.append(Chapter(int(c["number"]), c["folder"], c["title"], c["finished"].strip(), exercises))
    return Course(data["course"]["title"], tuple(chapters), dict(data.get("shortcuts", {})))


def _test_points(e: dict) -> tuple[tuple[str, float], ...]:
    """An exercise's `test_points`, which must add up to its points."""
    given = tuple((name, float(p)) for name, p in e.get("test_points", {}).items())
    if given and abs(sum(p for _, p in given) - float(e["points"])) > 1e-9:
        raise ValueError(f"exercise {e['id']}: its test_points add up to {sum(p for _, p in given):g}, "
                         f"but the exercise is worth {float(e['points']):g} points")
    return given


@cache
def course() -> Course:
    return parse(METADATA.read_text(encoding="utf-8"))


def metadata_for(chapters: list[Chapter], text: str) -> str:
    """`text`, a course.toml, with only `chapters` in it, for a copy of the kata that hands out just those.

    Each chapter's part of the file begins at its `[[chapter]]` line and runs to the next one;
    everything before the first belongs to the whole course and is kept."""
    head, *parts = text.split("\n[[chapter]]\n")
    keep = {c.number for c in chapters}
    kept = [part for part in parts if parse(f"{head}\n[[chapter]]\n{part}").chapters[0].number in keep]
    return "".join([head, *(f"\n[[chapter]]\n{part}" for part in kept)])
