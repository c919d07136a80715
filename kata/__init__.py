"""The grader of the PyTorch gradients kata."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
