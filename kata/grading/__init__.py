"""Grading, in the grader's own process: the tests collected once, each exercise run in a process of its own, verdicts."""
