"""The graded corpus of hw7_inverse_problems: the tests of corpus_suite.py (which explains the split), one grading run."""

from corpus_suite import *  # noqa: F401,F403 (the tests, their fixture and their parametrization)

ASSIGNMENT = "hw7_inverse_problems"
