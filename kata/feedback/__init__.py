"""Feedback: results turned into words and pictures for the terminal, watch mode, notebooks and course reports."""
