"""The chapter's exercises, read from exercises.toml: the one place that lists them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    file: str
    title: str
    points: float
    concept: str
    docs: tuple[str, ...]
    forbidden: tuple[str, ...]
    hints: tuple[str, ...]

    @property
    def number(self) -> int:
        return int(self.id)

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def test_file(self) -> str:
        return f"test_{self.file}"

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


@dataclass(frozen=True)
class Chapter:
    title: str
    finished: str
    exercises: tuple[Exercise, ...]

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    def find(self, key: str) -> Exercise | None:
        """The exercise named by its number (`3`, `03`), its name, or its file name."""
        key = key.strip()
        for ex in self.exercises:
            if key.isdigit() and int(key) == ex.number:
                return ex
            if key in (ex.name, ex.file, ex.stem):
                return ex
        return None

    def by_stem(self, stem: str) -> Exercise | None:
        return next((e for e in self.exercises if e.stem == stem), None)

    def valid_names(self) -> str:
        return ", ".join(f"{e.id} ({e.name})" for e in self.exercises)


METADATA = Path(__file__).with_name("exercises.toml")


@cache
def chapter() -> Chapter:
    data = tomllib.loads(METADATA.read_text(encoding="utf-8"))
    exercises = tuple(
        Exercise(
            id=e["id"],
            name=e["name"],
            file=e["file"],
            title=e["title"],
            points=float(e["points"]),
            concept=e["concept"],
            docs=tuple(e.get("docs", ())),
            forbidden=tuple(e.get("forbidden", ())),
            hints=tuple(e["hints"]),
        )
        for e in data["exercise"]
    )
    info = data["chapter"]
    return Chapter(title=info["title"], finished=info["finished"].strip(), exercises=exercises)
