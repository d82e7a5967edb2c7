"""The graded corpus of hw1_autoregressive: the tests of corpus_suite.py (which explains the split), one grading run."""

from corpus_suite import *  # noqa: F401,F403 (the tests, their fixture and their parametrization)

ASSIGNMENT = "hw1_autoregressive"
