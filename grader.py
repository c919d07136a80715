"""Grade your work on the PyTorch gradients kata: `python grader.py` (see --help)."""

import sys

from kata.cli import main

if __name__ == "__main__":
    sys.exit(main())
