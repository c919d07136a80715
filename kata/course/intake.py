"""Taking submissions in: from a folder, a notebook, a folder of notebooks or a .zip of
any of them, copy the exercise files (and nothing else) into a scratch folder of its own,
laid out like exercises/ (a folder per chapter).

A submission is never extracted as it is: only files named like the exercise files, or
notebooks, are read, each within a size limit, and written under their bare file names in
their chapter's folder, so no path in a submission can reach outside its scratch folder. Symbolic links are not
followed. Everything else (a conftest.py, test files, helper modules, settings) stays
behind and is never seen by the grader.
"""

from __future__ import annotations

import os
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..catalogue.course import Chapter, course
from ..grading.target import Origin, Target

EXERCISES = {e.file: e for e in course().exercises}
MAX_SOURCE_BYTES = 1 << 20  # one exercise file
MAX_NOTEBOOK_BYTES = 32 << 20  # one notebook, outputs and images included
MAX_TOTAL_BYTES = 256 << 20  # everything read from one submission
MAX_ENTRIES = 20_000  # files and folders looked at in one submission
# Folders that never hold a learner's work: the grader's own copy, tools, caches.
SKIP_FOLDERS = {"kata", "__pycache__", "__MACOSX", "node_modules", "site-packages", "venv", "env"}


class IntakeError(Exception):
    """The submission cannot be read at all (a broken zip, say); the message says why."""


@dataclass
class Entry:
    """A file of a submission that may be graded: where it is, and how to read it."""

    path: PurePosixPath
    size: int
    read: Callable[[int], bytes]  # read(limit) -> at most limit + 1 bytes

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"


@dataclass
class Submission:
    id: str  # safe as a folder name; see submission_ids
    name: str  # as it was submitted (given_name)
    source: Path
    folder: Path  # the scratch folder that is graded, laid out like exercises/
    kind: str = "folder"  # folder | notebooks | none
    files: list[str] = field(default_factory=list)  # the exercise files found, as Exercise.path
    notes: list[str] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)  # notebooks: where each file came from
    problems: dict[str, str] = field(default_factory=dict)  # notebooks that could not be used, and why

    @property
    def readable(self) -> bool:
        return bool(self.files)

    @property
    def chapters(self) -> set[str]:
        return {path.split("/")[0] for path in self.files}

    def target(self, chapters: list[Chapter]) -> Target:
        """What grading this submission on `chapters` reads: its scratch folder, and why an
        exercise it lacks is missing."""
        absent = {}
        for ex in (e for c in chapters for e in c.exercises):
            if ex.path in self.files:
                continue
            if self.kind == "notebooks":
                from ..notebooks.convert import why_absent

                absent[ex.path] = why_absent(ex, "this submission", self.problems)
            else:
                absent[ex.path] = MISSING_FILE.format(ex=ex)
        return Target(self.name, {c.folder: self.folder / c.folder for c in chapters},
                      {c.folder: f"{c.folder}/" for c in chapters}, origins=self.origins, absent=absent)


# --- names -------------------------------------------------------------------------


def given_name(path: Path) -> str:
    """A submission's own name: its folder's, or its file's without the extension."""
    return path.name if path.is_dir() else path.stem


def submission_ids(paths: list[Path], reserved: set[str] = frozenset({"grades.csv"})) -> list[str]:
    """A distinct id for each submission, safe as a folder name on every system (letters,
    digits, `.`, `_`, `-`; unique whatever the case): its own name where it is already safe.

    Ids are handed out in the order of the names, not of `paths`, so the same submissions
    get the same ids however they are listed (`Alice` before `alice`, which becomes `alice-2`)."""
    ids = [""] * len(paths)
    taken = {r.lower() for r in reserved}
    for i in sorted(range(len(paths)), key=lambda i: (given_name(paths[i]), str(paths[i]))):
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", given_name(paths[i])).strip("._") or "submission"
        candidate, n = base, 1
        while candidate.lower() in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate.lower())
        ids[i] = candidate
    return ids


# --- finding the files -------------------------------------------------------------


def _wanted(name: str) -> bool:
    return name in EXERCISES or (name.endswith(".ipynb") and not name.startswith("."))


def _skipped_folder(name: str) -> bool:
    return name.startswith(".") or name in SKIP_FOLDERS


def _file_reader(path: Path) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        # O_NOFOLLOW: a file swapped for a link after the walk is still not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            return f.read(limit + 1)

    return read


def folder_entries(root: Path) -> tuple[list[Entry], list[str]]:
    """The candidate files under `root`, without following links; and notes on what was cut."""
    entries: list[Entry] = []
    notes: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _skipped_folder(d))
        seen += len(dirs) + len(files)
        if seen > MAX_ENTRIES:
            notes.append(f"The submission has more than {MAX_ENTRIES} files; only the first were looked at.")
            break
        for name in sorted(files):
            path = Path(folder) / name
            if not _wanted(name):
                continue
            try:
                info = path.lstat()
            except OSError:
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if not stat.S_ISREG(info.st_mode):
                notes.append(f"{relative} is not a regular file (a link?), so it was left out.")
                continue
            entries.append(Entry(relative, info.st_size, _file_reader(path)))
    return entries, notes


def _safe_member(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        return None
    return path


def zip_entries(archive: Path) -> tuple[list[Entry], list[str]]:
    """The candidate files inside a .zip, never extracted as a whole."""
    try:
        zf = zipfile.ZipFile(archive)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise IntakeError(f"{archive.name} is not a readable .zip file ({e}).") from None
    notes: list[str] = []
    if len(infos) > MAX_ENTRIES:
        notes.append(f"The .zip file has more than {MAX_ENTRIES} entries; only the first were looked at.")
        infos = infos[:MAX_ENTRIES]
    entries = []
    for info in infos:
        if info.is_dir():
            continue
        path = _safe_member(info.filename)
        if path is None:
            notes.append(f"{info.filename} has an unsafe path in the .zip file, so it was left out.")
            continue
        if any(_skipped_folder(part) for part in path.parts[:-1]) or not _wanted(path.name):
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            notes.append(f"{path} is a link inside the .zip file, so it was left out.")
            continue
        entries.append(Entry(path, info.file_size, _zip_reader(zf, info)))
    return entries, notes


def _zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[int], bytes]:
    def read(limit: int) -> bytes:
        # Read at most limit + 1 bytes, whatever the header claims: a zip bomb stops here.
        with zf.open(info) as f:
            return f.read(limit + 1)

    return read


# --- choosing what to grade --------------------------------------------------------


def _best_folders(entries: list[Entry], notes: list[str]) -> list[Entry]:
    """For each chapter, the entries of the folder that holds the most of its files."""
    chosen: list[Entry] = []
    for chapter in course().chapters:
        files = {e.file for e in chapter.exercises}
        mine = [e for e in entries if e.path.name in files]
        if mine:
            chosen += _best_folder(mine, notes)
    return chosen


def _best_folder(entries: list[Entry], notes: list[str]) -> list[Entry]:
    """The entries of the folder that holds the most of them (`exercises/` or a chapter's folder
    wins a tie, then the shallowest); a note names the other folders, which are left out."""
    usual = {"exercises", *(c.folder for c in course().chapters)}
    groups: dict[PurePosixPath, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.path.parent, []).append(e)
    ranked = sorted(groups, key=lambda p: (-len(groups[p]), p.name not in usual, len(p.parts), str(p)))
    if len(ranked) > 1:
        others = ", ".join(f"{p}/" for p in ranked[1:4]) + (", ..." if len(ranked) > 4 else "")
        notes.append(
            f"Only the files in {_shown(ranked[0])} were graded; {others} also had some and were left "
            "out. (To grade a folder of submissions, name each one: `python grader.py grade submissions/*`.)"
        )
    return groups[ranked[0]]


def _shown(folder: PurePosixPath) -> str:
    return "the top folder" if str(folder) == "." else f"{folder}/"


@dataclass
class Budget:
    """Bytes still allowed to be read from one submission."""

    left: int = MAX_TOTAL_BYTES


def _read(entry: Entry, limit: int, budget: Budget, notes: list[str]) -> bytes | None:
    if entry.size > limit:
        notes.append(f"{entry.path} is larger than {limit >> 20} MB, so it was left out.")
        return None
    allowed = min(limit, budget.left)
    try:
        data = entry.read(allowed)
    except (OSError, zipfile.BadZipFile, zlib.error, ValueError, RuntimeError, EOFError) as e:
        notes.append(f"{entry.path} could not be read ({e}).")
        return None
    if len(data) > allowed:
        too_big = "is larger than it claims" if allowed == limit else "goes over the size limit of a submission"
        notes.append(f"{entry.path} {too_big}, so it was left out.")
        return None
    budget.left -= len(data)
    return data


def _pristine(files: dict[str, bytes]) -> bool:
    """Whether every exercise file is the untouched stub (the work must be in notebooks)."""
    from ..catalogue.stubs import pristine_stub

    try:
        return all(data.decode("utf-8") == pristine_stub(EXERCISES[name]) for name, data in files.items())
    except (OSError, UnicodeDecodeError):
        return False


def take_in(source: Path, id: str, scratch: Path) -> Submission:
    """Copy the gradable files of `source` into scratch/graded/<id>/<chapter folder>/ and
    describe what was found.

    Exercise files are graded when there are some; notebooks when there are none, or when the
    exercise files are the untouched stubs (a student who worked in notebooks)."""
    dest = scratch / "graded" / id
    dest.mkdir(parents=True)
    sub = Submission(id, given_name(source), source, dest)
    try:
        entries, sub.notes = _entries(source)
    except IntakeError as e:
        sub.kind, sub.notes = "none", [str(e)]
        return sub
    budget = Budget()
    sources = [e for e in entries if not e.is_notebook]
    notebooks = [e for e in entries if e.is_notebook]
    files: dict[str, bytes] = {}
    for entry in _best_folders(sources, sub.notes) if sources else []:
        data = _read(entry, MAX_SOURCE_BYTES, budget, sub.notes)
        if data is not None:
            files[entry.path.name] = data
    if notebooks and (not files or _pristine(files)):
        sub.kind = "notebooks"
        _take_notebooks(sub, notebooks, scratch / "notebooks" / id, budget)
        return sub
    for file_name, data in files.items():
        ex = EXERCISES[file_name]
        (dest / ex.folder).mkdir(exist_ok=True)
        (dest / ex.path).write_bytes(data)
    sub.files = sorted(EXERCISES[f].path for f in files)
    if not files:
        sub.kind = "none"
        sub.notes.append(NOTHING_FOUND)
    return sub


MISSING_FILE = (
    "{ex.file} is missing from this submission, so exercise {ex.id} ({ex.name}) gets no points. "
    "To start it again from the stub: `python grader.py reset {ex.number}`."
)
NOTHING_FOUND = (
    "No exercise files were found in this submission. Submit the exercises folder (files named "
    "like ex01_tracked.py), the notebooks, or a .zip file of either."
)


def _entries(source: Path) -> tuple[list[Entry], list[str]]:
    if source.is_dir():
        entries, notes = folder_entries(source)
        if not entries:
            archives = sorted(p for p in source.iterdir() if p.suffix.lower() == ".zip" and p.is_file())
            if len(archives) == 1:
                return zip_entries(archives[0])
        return entries, notes
    if source.suffix.lower() == ".zip":
        return zip_entries(source)
    if source.suffix == ".ipynb" or source.name in EXERCISES:
        info = source.lstat()
        return [Entry(PurePosixPath(source.name), info.st_size, _file_reader(source))], []
    raise IntakeError(
        f"{source.name} is not a folder, a notebook, an exercise file or a .zip file, so there is nothing to grade."
    )


def _take_notebooks(sub: Submission, entries: list[Entry], holder: Path, budget: Budget) -> None:
    """Write the notebooks to `holder` (each under its name, in a folder of its own when two
    share a name), then turn them into exercise files in the submission's folder."""
    holder.mkdir(parents=True)
    for n, entry in enumerate(entries):
        data = _read(entry, MAX_NOTEBOOK_BYTES, budget, sub.notes)
        if data is None:
            continue
        folder = holder / str(n)
        folder.mkdir()
        (folder / entry.path.name).write_bytes(data)
    from ..notebooks.convert import notebooks_to_folder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns on stderr about notebooks it repairs
        for folder in sorted(holder.iterdir(), key=lambda p: int(p.name)):
            try:
                origins, problems = notebooks_to_folder(folder, sub.folder)
            except Exception as e:  # a notebook is learner input: never let one stop the batch
                origins, problems = {}, {"notebooks": f"they could not be converted ({type(e).__name__}: {e})"}
            for path, origin in origins.items():
                if path not in sub.origins:
                    sub.origins[path] = origin
            sub.problems.update(problems)
    sub.notes += [f"Notebook {nb}: {problem}" for nb, problem in sorted(sub.problems.items())]
    sub.files = sorted(sub.origins)
    if not sub.files:
        sub.notes.append(NOTHING_FOUND)
