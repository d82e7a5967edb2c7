"""The graded corpus of hw6_diffusion: the tests of corpus_suite.py (which explains the split), one grading run."""

from corpus_suite import *  # noqa: F401,F403 (the tests, their fixture and their parametrization)

ASSIGNMENT = "hw6_diffusion"
