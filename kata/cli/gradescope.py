"""`python grader.py gradescope OUT.zip`: the autograder bundle to upload to Gradescope."""

from __future__ import annotations

import argparse

from .common import add_chapter_option, add_run_options, chapters, writable


def register(sub, name: str) -> None:
    p = sub.add_parser(
        name, help="build the Gradescope autograder bundle (instructors)",
        description="Write OUT.zip, an autograder for Gradescope's programming assignments (on the Ubuntu 22.04 "
                    "base image or a newer Ubuntu): setup.sh installs the dependencies, run_autograder grades each "
                    "submission with every test, hidden ones included, runs the submission's code as the user "
                    "nobody, and always writes results.json.",
    )
    p.add_argument("out", metavar="OUT.zip", help="the .zip file to write")
    add_run_options(p, isolation=False)
    add_chapter_option(p)


def run(args: argparse.Namespace) -> int:
    from ..course.gradescope import build_bundle

    out = writable(args.out, "the bundle")
    count = build_bundle(out, args.timeout, chapters(args.chapter))
    print(f"Wrote the Gradescope autograder to {out} ({count} files).")
    print("Upload it in the assignment's Configure Autograder page, with the Ubuntu 22.04 base image "
          "or a newer Ubuntu; students submit their exercise files, their notebooks or a .zip file of either.")
    return 0
