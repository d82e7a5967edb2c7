"""Metrics for generative models: likelihoods, the gap to the true entropy, two-sample tests, grids.

Likelihood
    ``nll`` and ``evaluate_nll`` give the mean negative log-likelihood in nats per example;
    ``bits_per_dim`` rescales it to bits per dimension, NLL / (D ln 2), the unit of the literature.

Distance to the truth on toys
    For a toy p with exact density (``dgm_utils.data``), NLL(q) - H(p) = KL(p || q) (``kl_gap``).

Samples only (implicit models)
    ``mmd2`` is the unbiased estimate of the squared maximum mean discrepancy with a Gaussian kernel
    (Gretton et al. 2012), ``mmd_permutation_test`` turns it into a two-sample test.

Grids (2-D densities)
    ``grid_log_prob`` evaluates a density on the cell centres of a grid over a box (for heat maps),
    ``grid_integral`` integrates it (a normalized density gives ~1: a check of normalization).

Everything that takes a model dispatches on its likelihood (:mod:`dgm_utils.base`): an exact model is evaluated
through ``log_prob``, a bounded one through ``log_prob_bound`` (and ``evaluate_nll`` says so in the :class:`NLL`
it returns), a model with neither raises :class:`dgm_utils.base.DensityNotAvailable`. A plain function
``x -> log p(x)`` is taken as an exact log-density. An ``nn.Module`` is put in eval mode for the evaluation and
restored afterwards; evaluation runs without gradients, in batches, on the model's device.

Files: ``likelihood.py`` (NLL, bits/dim, the gap to the entropy), ``two_sample.py`` (MMD), ``grid.py``.
"""

from dgm_utils.base import NLL
from dgm_utils.metrics.grid import grid_integral, grid_log_prob
from dgm_utils.metrics.likelihood import bits_per_dim, evaluate_nll, kl_gap, nll
from dgm_utils.metrics.two_sample import mmd2, mmd_permutation_test

__all__ = [
    "NLL",
    "nll",
    "bits_per_dim",
    "evaluate_nll",
    "kl_gap",
    "mmd2",
    "mmd_permutation_test",
    "grid_log_prob",
    "grid_integral",
]
