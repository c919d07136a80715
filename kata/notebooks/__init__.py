"""Jupyter notebooks: made from the exercise files, checked from their kernels, graded like exercise folders."""
