"""Metrics for generative models: likelihoods, the gap to the true entropy, two-sample tests, sample quality, grids.

Likelihood
    ``nll`` and ``evaluate_nll`` give the mean negative log-likelihood in nats per example;
    ``bits_per_dim`` rescales it to bits per dimension, NLL / (D ln 2), the unit of the literature.

Distance to the truth on toys
    For a toy p with exact density (``dgm_utils.data``), NLL(q) - H(p) = KL(p || q) (``kl_gap``).

Two-sample tests (models known only through their samples; chapter 4)
    ``mmd2`` estimates the squared maximum mean discrepancy with a Gaussian kernel (Gretton et al. 2012),
    unbiased by default or biased (``biased=True``, the V-statistic); ``median_bandwidth`` is the median
    heuristic it uses by default; ``mmd2_multiscale`` sums Gaussian kernels over several bandwidths
    (by default ``multiscale_bandwidths``: the median times ``MULTISCALE_FACTORS`` = 0.25, 0.5, 1, 2, 4);
    ``mmd_permutation_test`` turns either kernel into a test with a valid p-value; ``mmd2_floor`` gives the
    mean and spread of ``mmd2`` between exact samples of a toy, the floor a perfect sampler reaches;
    ``classifier_two_sample_test`` is the classifier two-sample test (C2ST, Lopez-Paz & Oquab 2017): the
    held-out accuracy of a small classifier trained to tell the samples apart, with its binomial p-value,
    returned as a :class:`C2ST`.

Sample quality on digits (implicit, energy-based and diffusion models; chapters 4-7)
    ``digits_classifier`` is a small CNN trained by dgm_utils in seconds, deterministically, and cached (no
    downloaded network); in its feature space, ``frechet_distance`` (FID's formula, scipy's matrix square
    root) gives ``digits_frechet_distance``, and ``precision_recall`` (improved precision and recall,
    Kynkäänniemi et al. 2019, on any features) gives ``digits_precision_recall``; ``confident_fraction``
    counts samples classified with confidence; ``sample_metrics`` reports all of them and the MMD^2.

Outlier detection (chapter 5)
    ``outlier_auroc`` is the area under the ROC curve of telling outliers from held-out data by a score (an
    energy, or -log p): 1 perfect, 0.5 chance. Chapter 8b adds scores that correct -log p for the complexity of the
    input: ``likelihood_ratio_scores`` against a background model (trained e.g. on ``perturb_levels`` of the data),
    ``complexity_corrected_scores`` against zlib's code length ``compression_bits``, and the typicality test
    (``typicality_scores``, ``typicality_threshold``).

Memorization (chapter 6b)
    ``nearest_neighbours`` finds each sample's nearest training example; ``memorization_report`` compares the
    distances of samples to the training set with those of held-out examples (a model that copies its training
    set has a ``copy_fraction`` near 1, one that draws new examples about its ``quantile``).

Grids (2-D densities)
    ``grid_log_prob`` evaluates a density on the cell centres of a grid over a box (for heat maps),
    ``grid_integral`` integrates it (a normalized density gives ~1: a check of normalization).

Everything that takes a model dispatches on its likelihood (:mod:`dgm_utils.base`): an exact model is evaluated
through ``log_prob``, a bounded one through ``log_prob_bound`` (and ``evaluate_nll`` says so in the :class:`NLL`
it returns), a model with neither raises :class:`dgm_utils.base.DensityNotAvailable`. A plain function
``x -> log p(x)`` is taken as an exact log-density. An ``nn.Module`` is put in eval mode for the evaluation and
restored afterwards; evaluation runs without gradients, in batches, on the model's device.

Files: ``likelihood.py`` (NLL, bits/dim, the gap to the entropy), ``two_sample.py`` (MMD and its permutation
test), ``classifier_test.py`` (C2ST), ``samples.py`` (the digits classifier and the sample-quality metrics),
``grid.py``, ``outliers.py``, ``memorization.py``.
"""

from dgm_utils.base import NLL
from dgm_utils.metrics.classifier_test import C2ST, classifier_two_sample_test
from dgm_utils.metrics.grid import grid_integral, grid_log_prob
from dgm_utils.metrics.likelihood import bits_per_dim, evaluate_nll, kl_gap, nll
from dgm_utils.metrics.memorization import (DEFAULT_COPY_QUANTILE, MemorizationReport, NearestNeighbours,
                                            memorization_report, nearest_neighbours)
from dgm_utils.metrics.outliers import (complexity_corrected_scores, compression_bits, likelihood_ratio_scores,
                                        outlier_auroc, perturb_levels, typicality_scores, typicality_threshold)
from dgm_utils.metrics.samples import (DigitsClassifier, confident_fraction, digits_classifier,
                                       digits_frechet_distance, digits_precision_recall, frechet_distance,
                                       precision_recall, sample_metrics)
from dgm_utils.metrics.two_sample import (MULTISCALE_FACTORS, median_bandwidth, mmd2, mmd2_floor, mmd2_multiscale,
                                          mmd_permutation_test, multiscale_bandwidths)

__all__ = [
    "NLL",
    "nll",
    "bits_per_dim",
    "evaluate_nll",
    "kl_gap",
    "mmd2",
    "mmd2_multiscale",
    "mmd2_floor",
    "median_bandwidth",
    "multiscale_bandwidths",
    "MULTISCALE_FACTORS",
    "mmd_permutation_test",
    "C2ST",
    "classifier_two_sample_test",
    "DigitsClassifier",
    "digits_classifier",
    "frechet_distance",
    "digits_frechet_distance",
    "confident_fraction",
    "precision_recall",
    "digits_precision_recall",
    "sample_metrics",
    "grid_log_prob",
    "grid_integral",
    "outlier_auroc",
    "likelihood_ratio_scores",
    "perturb_levels",
    "compression_bits",
    "complexity_corrected_scores",
    "typicality_scores",
    "typicality_threshold",
    "NearestNeighbours",
    "MemorizationReport",
    "nearest_neighbours",
    "memorization_report",
    "DEFAULT_COPY_QUANTILE",
]
