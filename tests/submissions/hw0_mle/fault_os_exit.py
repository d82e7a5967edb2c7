"""fit_mixture ends the Python process with os._exit: the kernel dies, and the submission is reported as failed to
grade with that reason.

expect-failure: kernel died
"""
# %% fit_mixture
import os


def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    os._exit(0)
