"""Data sets that ship with the kata, so that nothing is downloaded (see ATTRIBUTION.md).

DIGITS: 1,797 handwritten digits, one a line: 64 pixel values 0-16 (an 8x8 image, row by
row) and then the digit, comma-separated, gzip-compressed.
"""

from pathlib import Path

DIGITS = Path(__file__).resolve().with_name("digits.csv.gz")
