"""Taking submissions in: from a folder, a notebook, a folder of notebooks or a .zip of any of
them, copy the exercise files (and nothing else) into a scratch folder laid out like exercises/.

A submission is never extracted as it is: only files named like exercise files, or notebooks, are
read, each within a size limit, and written under their bare names in their chapter's folder, so
no path in a submission reaches outside its scratch folder. Links are not followed. Everything
else (a conftest.py, test files, helper modules, settings) stays behind, unseen by the grader.
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
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..catalogue.course import Chapter, course
from ..catalogue.stubs import pristine_stub
from ..grading.target import Origin, Target
from ..notebooks.convert import notebooks_to_folder, why_absent

EXERCISES = {e.file: e for e in course().exercises}
MAX_SOURCE_BYTES = 1 << 20  # one exercise file
MAX_NOTEBOOK_BYTES = 32 << 20  # one notebook, outputs and images included
MAX_TOTAL_BYTES = 256 << 20  # everything read from one submission
MAX_ENTRIES = 20_000  # files and folders looked at in one submission
# Folders that never hold a learner's work: the grader's own copy, tools, caches.
SKIP_FOLDERS = {"kata", "__pycache__", "__MACOSX", "node_modules", "site-packages", "venv", "env"}

TOO_MANY = f"The submission has more than {MAX_ENTRIES} files and folders; only the first were looked at."
MISSING_FILE = ("{ex.file} is missing from this submission, so exercise {ex.id} ({ex.name}) gets no points. "
                "To start it again from the stub: `python grader.py reset {ex.number}`.")
NOTHING_FOUND = ("No exercise files were found in this submission. Submit the exercises folder (files named "
                 "like ex01_tracked.py), the notebooks, or a .zip file of either.")


class IntakeError(Exception):
    """The submission cannot be read at all (a broken zip, say); the message says why."""


@dataclass
class Entry:
    """A file of a submission that may be graded: where it is, its size as claimed, how to open it."""

    path: PurePosixPath
    size: int
    open: Callable[[], BinaryIO]


@dataclass
class Submission:
    id: str  # safe as a folder name; see submission_ids
    name: str  # as it was submitted (given_name)
    folder: Path  # the scratch folder that is graded, laid out like exercises/
    files: list[str] = field(default_factory=list)  # the exercise files found, as Exercise.path
    notes: list[str] = field(default_factory=list)
    notebooks: bool = False  # graded from its notebooks
    origins: dict[str, Origin] = field(default_factory=dict)  # notebooks: where each file came from
    problems: dict[str, str] = field(default_factory=dict)  # notebooks that could not be used, and why

    @property
    def readable(self) -> bool:
        return bool(self.files)

    def target(self, chapters: list[Chapter]) -> Target:
        """What grading this submission on `chapters` reads: its scratch folder, and why an
        exercise it lacks is missing."""
        absent = {ex.path: why_absent(ex, "this submission", self.problems) if self.notebooks
                  else MISSING_FILE.format(ex=ex)
                  for c in chapters for ex in c.exercises if ex.path not in self.files}
        return Target(self.name, {c.folder: self.folder / c.folder for c in chapters},
                      {c.folder: f"{c.folder}/" for c in chapters}, origins=self.origins, absent=absent)


def given_name(path: Path) -> str:
    """A submission's own name: its folder's, or its file's without the extension."""
    return path.name if path.is_dir() else path.stem


def submission_ids(paths: list[Path], reserved: set[str] = frozenset({"grades.csv"})) -> list[str]:
    """A distinct id for each submission, safe as a folder name on every system (letters, digits,
    `.`, `_`, `-`; unique whatever the case): its own name where it is already safe. Ids go in the
    order of the names, not of `paths`, so they do not depend on it (`Alice`, then `alice-2`)."""
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


def _wanted(name: str) -> bool:
    return name in EXERCISES or (name.endswith(".ipynb") and not name.startswith("."))


def _skipped_folder(name: str) -> bool:
    return name.startswith(".") or name in SKIP_FOLDERS


def _open_no_link(path: Path) -> BinaryIO:
    # O_NOFOLLOW: a file swapped for a link after the walk is still not followed.
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")


def folder_entries(root: Path) -> tuple[list[Entry], list[str]]:
    """The candidate files under `root`, without following links; and notes on what was cut."""
    entries: list[Entry] = []
    notes: list[str] = []
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _skipped_folder(d))
        seen += len(dirs) + len(files)
        if seen > MAX_ENTRIES:
            notes.append(TOO_MANY)
            break
        for name in sorted(filter(_wanted, files)):
            path = Path(folder) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if stat.S_ISREG(info.st_mode):
                entries.append(Entry(relative, info.st_size, partial(_open_no_link, path)))
            else:
                notes.append(f"{relative} is not a regular file (a link?), so it was left out.")
    return entries, notes


def zip_entries(archive: Path) -> tuple[list[Entry], list[str]]:
    """The candidate files inside a .zip, never extracted as a whole; and notes on what was cut."""
    try:
        zf = zipfile.ZipFile(_open_no_link(archive))  # a link to another student's .zip is refused
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise IntakeError(f"{archive.name} is not a readable .zip file ({e}).") from None
    entries: list[Entry] = []
    notes = [TOO_MANY] if len(infos) > MAX_ENTRIES else []
    for info in (i for i in infos[:MAX_ENTRIES] if not i.is_dir()):
        path = PurePosixPath(info.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", info.filename):
            notes.append(f"{info.filename} has an unsafe path in the .zip file, so it was left out.")
        elif any(_skipped_folder(part) for part in path.parts[:-1]) or not _wanted(path.name):
            continue
        elif stat.S_ISLNK(info.external_attr >> 16):
            notes.append(f"{path} is a link inside the .zip file, so it was left out.")
        else:
            entries.append(Entry(path, info.file_size, partial(zf.open, info)))
    return entries, notes


def _entries(source: Path) -> tuple[list[Entry], list[str]]:
    if source.is_dir():
        entries, notes = folder_entries(source)
        archives = sorted(p for p in source.iterdir() if p.suffix.lower() == ".zip")
        links = [p for p in archives if not stat.S_ISREG(p.lstat().st_mode)]
        notes += [f"{p.name} is not a regular file (a link?), so it was left out." for p in links]
        archives = [p for p in archives if p not in links]
        if not entries and len(archives) == 1:
            return zip_entries(archives[0])
        return entries, notes
    if source.suffix.lower() == ".zip":
        return zip_entries(source)
    if source.suffix == ".ipynb" or source.name in EXERCISES:
        return [Entry(PurePosixPath(source.name), source.lstat().st_size, partial(_open_no_link, source))], []
    raise IntakeError(f"{source.name} is not a folder, a notebook, an exercise file or a .zip file, "
                      "so there is nothing to grade.")


def _best_folders(entries: list[Entry], notes: list[str]) -> list[Entry]:
    """For each chapter, the entries in the folder that holds the most of its files (`exercises/`
    or a chapter's folder wins a tie, then the shallowest); a note names the folders left out."""
    usual = {"exercises", *(c.folder for c in course().chapters)}
    chosen: list[Entry] = []
    for chapter in course().chapters:
        groups: dict[PurePosixPath, list[Entry]] = {}
        for e in entries:
            if EXERCISES[e.path.name].folder == chapter.folder:
                groups.setdefault(e.path.parent, []).append(e)
        if not groups:
            continue
        best, *others = sorted(groups, key=lambda p: (-len(groups[p]), p.name not in usual, len(p.parts), str(p)))
        if others:
            shown = "the top folder" if str(best) == "." else f"{best}/"
            listed = ", ".join(f"{p}/" for p in others[:3]) + (", ..." if len(others) > 3 else "")
            notes.append(f"Only the files in {shown} were graded; {listed} also had some and were left out. "
                         "(To grade a folder of submissions, name each one: `python grader.py grade submissions/*`.)")
        chosen += groups[best]
    return chosen


def _read(entry: Entry, limit: int, left: int, notes: list[str]) -> bytes | None:
    """The entry's bytes, or None and a note why not; `left`: how many more bytes the submission may use."""
    if entry.size > limit:
        notes.append(f"{entry.path} is larger than {limit >> 20} MB, so it was left out.")
        return None
    allowed = min(limit, left)
    try:
        with entry.open() as f:
            data = f.read(allowed + 1)  # whatever size was claimed: a zip bomb stops here
    except (OSError, zipfile.BadZipFile, zlib.error, ValueError, RuntimeError, EOFError) as e:
        notes.append(f"{entry.path} could not be read ({e}).")
        return None
    if len(data) > allowed:
        too_big = "is larger than it claims" if allowed == limit else "goes over the size limit of a submission"
        notes.append(f"{entry.path} {too_big}, so it was left out.")
        return None
    return data


def _pristine(files: dict[str, bytes]) -> bool:
    """Whether every exercise file is the untouched stub (the work must be in notebooks)."""
    try:
        return all(data.decode("utf-8") == pristine_stub(EXERCISES[name]) for name, data in files.items())
    except (OSError, UnicodeDecodeError):
        return False


def take_in(source: Path, id: str, scratch: Path) -> Submission:
    """Copy the gradable files of `source` into scratch/graded/<id>/<chapter folder>/ and
    describe what was found; a submission that cannot be read has no files, and a note why.

    Exercise files are graded when there are some; notebooks when there are none, or when the
    exercise files are the untouched stubs (a student who worked in notebooks)."""
    sub = Submission(id, given_name(source), scratch / "graded" / id)
    sub.folder.mkdir(parents=True)
    try:
        entries, sub.notes = _entries(source)
        left = MAX_TOTAL_BYTES  # what may still be read from this submission
        files: dict[str, bytes] = {}
        for entry in _best_folders([e for e in entries if e.path.suffix != ".ipynb"], sub.notes):
            data = _read(entry, MAX_SOURCE_BYTES, left, sub.notes)
            if data is not None:
                files[entry.path.name] = data
                left -= len(data)
        notebooks = [e for e in entries if e.path.suffix == ".ipynb"]
        if notebooks and (not files or _pristine(files)):
            _take_notebooks(sub, notebooks, scratch / "notebooks" / id, left)
        else:
            for name, data in files.items():
                (sub.folder / EXERCISES[name].folder).mkdir(exist_ok=True)
                (sub.folder / EXERCISES[name].path).write_bytes(data)
            sub.files = sorted(EXERCISES[name].path for name in files)
        if not sub.files:
            sub.notes.append(NOTHING_FOUND)
    except IntakeError as e:
        sub.notes = [str(e)]
    except Exception as e:  # one unreadable submission never stops the batch
        sub.files, sub.notes = [], [f"The submission could not be read ({type(e).__name__}: {e})."]
    return sub


def _take_notebooks(sub: Submission, entries: list[Entry], holder: Path, left: int) -> None:
    """Write each notebook to a folder of its own in `holder` (two may share a name), then turn
    them into exercise files in the submission's folder; the first notebook of an exercise wins."""
    sub.notebooks = True
    folders = []
    for n, entry in enumerate(entries):
        data = _read(entry, MAX_NOTEBOOK_BYTES, left, sub.notes)
        if data is not None:
            left -= len(data)
            folders.append(holder / str(n))
            folders[-1].mkdir(parents=True)
            (folders[-1] / entry.path.name).write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns on stderr about notebooks it repairs
        for folder in reversed(folders):  # the first is written last, over the others' files
            try:
                origins, problems = notebooks_to_folder(folder, sub.folder)
            except Exception as e:  # a notebook is learner input: never let one stop the batch
                origins, problems = {}, {"notebooks": f"they could not be converted ({type(e).__name__}: {e})"}
            sub.origins.update(origins)
            sub.problems.update(problems)
    sub.notes += [f"Notebook {nb}: {problem}" for nb, problem in sorted(sub.problems.items())]
    sub.files = sorted(sub.origins)
