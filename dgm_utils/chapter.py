"""What every chapter of the book does before its first model (used in chapters 0, 1, 2 and 3).

A chapter must print the same numbers on every machine and every run, so its first code cell calls
:func:`setup`, which fixes the global random state and the number of threads; the trainings themselves
run for fixed numbers of steps (``dgm.train.fit(..., num_steps=...)``), never for a wall-clock budget.
Sampling for the plots draws from the generator :func:`setup` returns, so the pictures repeat too.

Timings are the one thing that differs from machine to machine. :func:`best_time` measures them the
way the chapters report them: the minimum over a few calls, each under ``torch.no_grad()``. The minimum
estimates the cost of the call itself; the other calls were slowed by other processes, never sped up.

Usage, at the top of a chapter::

    from dgm_utils import chapter
    generator = chapter.setup()                         # torch seeded, one thread, a generator for plots
    seconds = chapter.best_time(lambda: model.sample(64))
"""

import random
import time

import numpy as np
import torch

from dgm_utils._validation import check_positive_int, check_seed

__all__ = ["setup", "best_time"]


def setup(seed=0, num_threads=1):
    """Seed the global random state, fix the number of threads, and return a seeded generator for plots.

    Defined here, used by the setup cell of every chapter (0, 1, 2, 3). It seeds torch's global
    generator (which initializes the weights of every model built afterwards), Python's ``random`` and
    NumPy's legacy global generator with ``seed``, and sets torch's intra-op threads to ``num_threads``:
    the chapters' models are tiny, and one thread beats splitting small tensors across cores (it also
    leaves the other core to whatever else runs, and makes the float rounding independent of the core
    count).

    Args:
        seed: a non-negative int.
        num_threads: a positive int, passed to ``torch.set_num_threads``.

    Returns:
        A new ``torch.Generator`` seeded with ``seed``, to pass as ``generator=`` to the sampling calls of
        the plots, so that drawing a picture does not move the global stream the models are built from.
    """
    check_seed(seed)
    check_positive_int(num_threads, "num_threads")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(num_threads)
    return torch.Generator().manual_seed(seed)


def best_time(function, repeats=3):
    """The best wall-clock time, in seconds, of ``repeats`` calls of ``function()`` under ``torch.no_grad()``.

    Defined here, used in chapter 1 (density evaluation versus sampling of autoregressive models) and
    chapter 2 (the two directions of MAF, IAF and RealNVP). The minimum is the least disturbed of the
    measurements: on a shared machine other processes can only make a call slower. The return value of
    ``function`` is discarded.

    Args:
        function: a callable taking no arguments.
        repeats: a positive int, the number of timed calls.
    """
    if not callable(function):
        raise TypeError(f"function must be callable with no arguments, got {type(function).__name__}")
    check_positive_int(repeats, "repeats")
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            function()
        best = min(best, time.perf_counter() - start)
    return best
