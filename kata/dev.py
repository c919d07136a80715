"""The maintainers' check: the course's metadata held against the files, and the generated files made anew.

    python -m kata.dev check    say what is out of date (exit status 1 if anything is)
    python -m kata.dev update   rewrite what is made from other files: the stubs in exercises/
                                (those not yet changed by a learner), the Classroom workflow and
                                the manifest of checksums; then check
    python -m kata.dev new FOLDER NAME [TITLE]
                                scaffold an exercise in the last chapter's FOLDER (or a new
                                chapter's): solution, test module, metadata entry, README row
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

from . import ROOT, UsageError
from .catalogue.course import Course, course
from .catalogue.stubs import is_stub, stubify
from .course.classroom import READY_FILE, point_problems, workflow_text
from .grading import manifest
from .scaffold import new


def metadata_problems(c: Course) -> list[str]:
    problems = []
    numbers = [e.number for e in c.exercises]
    if numbers != sorted(set(numbers)):
        problems.append("exercise ids must be unique and rise through the course: " + ", ".join(e.id for e in c.exercises))
    for kind, values in (("name", [e.name for e in c.exercises]), ("file", [e.file for e in c.exercises]),
                         ("chapter folder", [ch.folder for ch in c.chapters]),
                         ("chapter number", [str(ch.number) for ch in c.chapters])):
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            problems.append(f"each {kind} must be unique: {', '.join(twice)} appear more than once")
    for ex in c.exercises:
        if not re.fullmatch(r"\d\d", ex.id) or not ex.file.startswith(f"ex{ex.id}_") or not ex.file.endswith(".py"):
            problems.append(f"exercise {ex.id}: its file must be named ex{ex.id}_<something>.py, not {ex.file}")
        if len(ex.hints) < 2:
            problems.append(f"exercise {ex.label}: give at least two hints, from gentle to explicit")
        if not ex.concept or not ex.docs or not ex.title:
            problems.append(f"exercise {ex.label}: a title, a concept and docs are needed")
        if bool(ex.plot) != bool(ex.plot_shows):
            problems.append(f"exercise {ex.label}: give plot and plot_shows together, or neither")
        try:
            ast.parse(ex.plot)
        except SyntaxError as e:
            problems.append(f"exercise {ex.label}: its plot does not parse (line {e.lineno}: {e.msg})")
        problems += [f"exercise {ex.label}: forbidden {name} has no reason in [shortcuts]"
                     for name in ex.forbidden if name not in c.why]
    return problems


def _defines(path: Path, name: str) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name for n in tree.body)


def file_problems(c: Course, root: Path) -> tuple[list[str], list[str]]:
    """(problems a maintainer must fix, stale files that `update` rewrites)."""
    problems, stale = [], []
    for ex in c.exercises:
        solution, exercise, test = root / "solutions" / ex.path, root / "exercises" / ex.path, root / "tests" / ex.test_path
        if not solution.is_file():
            problems.append(f"exercise {ex.label}: solutions/{ex.path} is missing")
        elif not _defines(solution, ex.name):
            problems.append(f"exercise {ex.label}: solutions/{ex.path} defines no {ex.name}")
        elif not exercise.is_file():
            stale.append(f"exercises/{ex.path} is missing")
        elif (is_stub(current := exercise.read_text(encoding="utf-8"), ex)
              and current != stubify(solution.read_text(encoding="utf-8"), ex)):
            stale.append(f"exercises/{ex.path} is not the stub made from solutions/{ex.path}")
        if not test.is_file():
            problems.append(f"exercise {ex.label}: its test module tests/{ex.test_path} is missing")
    known = {p for ex in c.exercises for p in (f"solutions/{ex.path}", f"exercises/{ex.path}", f"tests/{ex.test_path}")}
    for folder, pattern in (("solutions", "ex*.py"), ("exercises", "ex*.py"), ("tests", "test_ex*.py")):
        for path in sorted((root / folder).rglob(pattern)):
            name = path.relative_to(root).as_posix()
            if name not in known and "__pycache__" not in name:
                problems.append(f"{name} belongs to no exercise of the course metadata")
    return problems, stale


def readme_problems(c: Course, root: Path) -> list[str]:
    rows = re.findall(r"^\| (\d\d) \| `(\w+)` \|", (root / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    expected = [(e.id, e.name) for e in c.exercises]
    if rows != expected:
        return ["README.md's exercise table does not list the course's exercises in order: "
                f"it has {', '.join(i for i, _ in rows) or 'none'}"]
    return []


def mistake_problems(c: Course, root: Path) -> list[str]:
    """Every exercise needs known wrong implementations in selftests/mistakes*.toml (in the kata's own
    repository; a student release has no selftests)."""
    folder = root / "selftests"
    if not folder.is_dir():
        return []
    caught = set()
    for path in folder.glob("mistakes*.toml"):
        try:
            caught |= {m.get("function") for m in tomllib.loads(path.read_text(encoding="utf-8")).get("mistake", [])}
        except (OSError, tomllib.TOMLDecodeError) as e:
            return [f"selftests/{path.name} does not read as TOML: {e}"]
    return [f"exercise {ex.label}: no known mistake in selftests/mistakes*.toml; add the wrong versions learners "
            "write, each with the words its message must say" for ex in c.exercises if ex.name not in caught]


def check(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """(problems to fix by hand, generated files that are out of date)."""
    c = course()
    problems = metadata_problems(c)
    more, stale = file_problems(c, root)
    classroom = point_problems(list(c.chapters))
    problems += more + readme_problems(c, root) + mistake_problems(c, root) + classroom
    if not classroom and (not READY_FILE.exists()
                          or READY_FILE.read_text(encoding="utf-8") != workflow_text(list(c.chapters))):
        stale.append(f"{READY_FILE.relative_to(root)} is not the workflow of the course")
    changed = manifest.changed_files(root)
    if changed:
        stale.append(f"the manifest of checksums is out of date for: {', '.join(changed)}")
    return problems, stale


def update(root: Path = ROOT) -> None:
    c = course()
    for ex in c.exercises:
        solution, exercise = root / "solutions" / ex.path, root / "exercises" / ex.path
        if solution.is_file() and _defines(solution, ex.name) and (
                not exercise.is_file() or is_stub(exercise.read_text(encoding="utf-8"), ex)):
            exercise.parent.mkdir(parents=True, exist_ok=True)
            exercise.write_text(stubify(solution.read_text(encoding="utf-8"), ex), encoding="utf-8")
    if not point_problems(list(c.chapters)):  # else check() says why there is no workflow
        READY_FILE.parent.mkdir(parents=True, exist_ok=True)
        READY_FILE.write_text(workflow_text(list(c.chapters)), encoding="utf-8")
    manifest.write(root)


NEXT_STEPS = """Next:
  1. fill in the places marked FILL IN: the lesson and the reference answer, the test's oracle
     and checks, and in kata/catalogue/course.toml the title, concept, docs and two or three hints
  2. add the mistakes learners make to selftests/mistakes*.toml
  3. python -m kata.dev update        (the stub, the Classroom workflow, the checksums)
  4. python -m kata.dev check         (says what is still missing)
  5. python grader.py check {id} --target solutions -v     (the reference passes, within 1 s of CPU)
  6. python -m pytest selftests/test_mistakes.py -k {name}   (every mistake is caught with its words)"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["new"] and len(argv) in (3, 4):
        try:
            written = new(course(), *argv[1:])
        except UsageError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        for path in written:
            print(f"wrote {path.relative_to(ROOT)}")
        number = written[0].stem[2:4]
        print(NEXT_STEPS.format(id=number, name=argv[2]))
        return 0
    if argv not in (["check"], ["update"]):
        print(__doc__.split("\n\n")[1])
        return 2
    if argv == ["update"]:
        update()
    problems, stale = check()
    for line in problems + stale:
        print(f"- {line}")
    if stale:
        print("Run `python -m kata.dev update` to make the generated files anew.")
    if not problems and not stale:
        print(f"The course is sound: {len(course().chapters)} chapters, {len(course().exercises)} exercises, "
              "every file where the metadata says.")
    return 1 if problems or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
