"""Tools for instructors: a student release, batch grading of submissions, and the
files Gradescope and GitHub Classroom need."""
