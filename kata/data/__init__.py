"""Data sets that ship with the kata, so that nothing is downloaded (see ATTRIBUTION.md).

DIGITS: 1,797 handwritten digits, one a line: 64 pixel values 0-16 (an 8x8 image, row by
row) and then the digit, comma-separated, gzip-compressed.
"""

import os
from pathlib import Path

# This folder, unless KATA_DATA names a copy of it: the Gradescope bundle makes one that the
# submission's code, run as another user, can read.
FOLDER = Path(os.environ.get("KATA_DATA") or Path(__file__).resolve().parent)
DIGITS = FOLDER / "digits.csv.gz"
