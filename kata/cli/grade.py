"""`python grader.py grade SUBMISSION... --out DIR`: grade many submissions in one batch."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

from .. import UsageError
from .common import add_chapter_option, add_run_options, chapters, output_folder


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="grade a batch of submissions (instructors)",
        description="Grade every SUBMISSION (a folder laid out like exercises/, a notebook, a folder of notebooks, "
                    "or a .zip file of any of them) with this kata's own tests, several at once. Only the "
                    "submission's exercise files are graded. Writes DIR/grades.csv, DIR/class.html "
                    "(the class as a whole: scores, exercises, mistakes), DIR/mistakes.csv, DIR/exercises.csv and, "
                    "for each submission, "
                    "DIR/<submission>/ with results.json (Gradescope's format), report.txt and report.json.",
    )
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    p.add_argument("--out", required=True, metavar="DIR", help="where to write the results")
    add_run_options(p)
    p.add_argument("--user", metavar="NAME",
                   help="run the submissions' code as this unprivileged user, such as nobody, so that it "
                        "cannot change the grader, the tests or the results (the grader must run as root)")
    add_chapter_option(p)


def learner_account(name: str) -> tuple[int, int]:
    """(uid, gid) of the user `name`, to run learner code as; UsageError unless the grader can switch to it."""
    if not hasattr(os, "setuid"):
        raise UsageError("--user works on Linux and macOS only")
    import pwd

    try:
        account = pwd.getpwnam(name)
    except KeyError:
        raise UsageError(f"--user {name}: there is no such user on this system") from None
    if account.pw_uid == 0:
        raise UsageError(f"--user {name}: that user is root; name an unprivileged user, such as nobody")
    if os.geteuid() != 0:
        raise UsageError(f"--user {name}: only root can run code as another user; run the grader as root, "
                         "or leave --user out")
    # The submissions' code imports some of torch's modules after the switch, on first use
    # (DataLoader's, say); the grader's own are all loaded before it.
    torch = importlib.util.find_spec("torch")
    needed = [Path(torch.origin)] if torch is not None and torch.origin else []
    blocked = unreadable_for(needed, account.pw_uid, account.pw_gid)
    if blocked is not None:
        raise UsageError(f"--user {name}: {name} cannot read {blocked}, which the submissions' code needs to run. "
                         "Make it, and each folder above it, readable by every user (chmod a+rX), "
                         "or leave --user out")
    return account.pw_uid, account.pw_gid


def unreadable_for(paths: list[Path], uid: int, gid: int) -> Path | None:
    """The first of `paths` that the user (uid, gid) cannot read, if any: asked in a process
    that has become that user, since the grader itself (root) can read everything."""
    pid = os.fork()
    if pid == 0:
        code = 255  # could not become the user: nothing is known
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            code = next((n + 1 for n, path in enumerate(paths) if not os.access(path, os.R_OK)), 0)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    n = os.waitstatus_to_exitcode(status)
    return paths[n - 1] if 0 < n <= len(paths) else None


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    sources = [Path(text).expanduser().resolve() for text in args.submissions]
    missing = next((text for text, path in zip(args.submissions, sources) if not path.exists()), None)
    if missing is not None:
        raise UsageError(f"submission '{missing}' does not exist: give folders, notebooks or .zip files")
    user = learner_account(args.user) if args.user is not None else None
    out = output_folder(args.out, "results")

    from ..course.batch import grade_batch

    graded = grade_batch(sources, out, chapters(args.chapter), timeout=args.timeout, isolation=args.isolation,
                         progress=sys.stdout.isatty(), user=user, started=started)
    unread = [sub.id for sub, _ in graded if not sub.readable]
    plural = "s" if len(graded) != 1 else ""
    print(f"Graded {len(graded)} submission{plural}: {out / 'grades.csv'}")
    print(f"The class as a whole: {out / 'class.html'} (and mistakes.csv, exercises.csv)")
    if unread:
        print(f"Nothing to grade was found in: {', '.join(unread)} (see their results.json).")
    sys.stdout.flush()
    return 0
