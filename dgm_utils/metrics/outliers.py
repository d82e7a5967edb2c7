"""Outlier detection scores: how well a model's score separates held-out data from inputs it should reject.

``outlier_auroc(inlier_scores, outlier_scores)`` is the area under the ROC curve of the rule "flag x when its score
is above a threshold", over all thresholds: the probability that a random outlier scores higher than a random
inlier (ties count one half). 1 separates perfectly, 0.5 is chance. With an energy model the score is the energy
E(x) (chapter 5); with a likelihood model, -log p(x). The area is scikit-learn's ``roc_auc_score``.

-log p(x) alone is a poor score when the outliers are *simpler* than the data: a model of digits can give a blank
image a higher likelihood than any digit (Nalisnick et al. 2019). The scores below correct for that (chapter 8b):

* ``likelihood_ratio_scores``: log p_background(x) - log p(x), the likelihood ratio against a background model that
  captures what the data shares with simple inputs (Ren et al. 2019 train it on ``perturb_levels`` of the data;
  Schirrmeister et al. 2020 use a general or local model);
* ``complexity_corrected_scores``: -log2 p(x) - L(x) with L(x) the length in bits of x compressed by zlib
  (``compression_bits``), the input-complexity correction of Serra et al. 2020, a likelihood ratio against the
  compressor read as a universal model, 2^-L(x);
* ``typicality_scores`` and ``typicality_threshold``: the typicality test of Nalisnick et al. 2019b, which flags a
  batch of M inputs whose mean -log p(x) is far from the entropy estimate H, in either direction.
"""

import zlib

import numpy as np
import torch

from dgm_utils._validation import check_generator, check_int, check_number, check_positive_int, check_real

__all__ = ["outlier_auroc", "likelihood_ratio_scores", "perturb_levels", "compression_bits",
           "complexity_corrected_scores", "typicality_scores", "typicality_threshold"]


def _scores(values, name):
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{name} must be a 1-D torch.Tensor of scores, got {type(values).__name__}")
    if values.dim() != 1 or values.numel() == 0 or not values.is_floating_point():
        raise ValueError(f"{name} must be a non-empty 1-D floating tensor of scores (one per example), got shape "
                         f"{tuple(values.shape)} and dtype {values.dtype}")
    values = values.detach().double().cpu().numpy()
    if not np.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinite scores; check the model's energies or log-densities")
    return values


def outlier_auroc(inlier_scores, outlier_scores):
    """The AUROC of separating outliers (higher scores) from inliers: a float in [0, 1], 0.5 at chance.

    Args:
        inlier_scores: (N,) scores of held-out data (e.g. energies of test digits).
        outlier_scores: (M,) scores of the inputs to reject.
    """
    from sklearn.metrics import roc_auc_score  # here: importing sklearn.metrics costs ~1.3 s, every grading kernel

    inliers, outliers = _scores(inlier_scores, "inlier_scores"), _scores(outlier_scores, "outlier_scores")
    labels = np.concatenate([np.zeros(len(inliers)), np.ones(len(outliers))])
    return float(roc_auc_score(labels, np.concatenate([inliers, outliers])))


def _matching(values, name, other, other_name):
    if len(values) != len(other):
        raise ValueError(f"{name} and {other_name} must score the same inputs, one value each: got {len(values)} and "
                         f"{len(other)} values")


def likelihood_ratio_scores(log_prob, background_log_prob):
    """Outlier scores -log [p(x) / p_background(x)] = log p_background(x) - log p(x): (N,) float64.

    The likelihood ratio of Ren et al. 2019: what both models explain (large uniform backgrounds, the statistics
    of simple inputs) cancels, and what is left is the evidence for the data model itself. Higher = more outlying.

    Args:
        log_prob: (N,) log-densities of the inputs under the model of the data.
        background_log_prob: (N,) log-densities of the same inputs under the background model.
    """
    model = torch.as_tensor(_scores(log_prob, "log_prob"))
    background = torch.as_tensor(_scores(background_log_prob, "background_log_prob"))
    _matching(model, "log_prob", background, "background_log_prob")
    return background - model


def perturb_levels(x, rate, num_levels, *, generator=None):
    """Ren et al. 2019's background data: each entry of the integer-valued x replaced, with probability ``rate``,
    by a level drawn uniformly from {0, ..., num_levels - 1}. Returns a new tensor of x's shape and dtype.

    Args:
        x: a tensor of levels (any shape, integer values in [0, num_levels)), integer or floating dtype.
        rate: the replacement probability, in [0, 1].
        num_levels: the number of levels K >= 2.
        generator: a torch.Generator or None.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of levels, got {type(x).__name__}")
    rate = check_real(rate, "rate")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be a probability in [0, 1], got {rate}")
    num_levels = check_int(num_levels, "num_levels", minimum=2)
    check_generator(generator)
    if x.numel() and (bool((x != x.round()).any()) or float(x.min()) < 0 or float(x.max()) > num_levels - 1):
        raise ValueError(f"x must hold integer levels in [0, {num_levels - 1}]")
    replace = torch.rand(x.shape, generator=generator) < rate
    levels = torch.randint(num_levels, x.shape, generator=generator)
    return torch.where(replace.to(x.device), levels.to(x.device, x.dtype), x)


def compression_bits(x, num_levels):
    """L(x): the length in bits of each row of x, its levels written one byte each and compressed by zlib
    (level 9, raw deflate without the header): (N,) float64. An upper bound on a code length, so 2^-L(x) is the
    probability of x under a universal model that knows nothing of the data (Serra et al. 2020).

    Args:
        x: (N, D) tensor of integer levels in [0, num_levels), num_levels <= 256.
        num_levels: the number of levels K, 2 <= K <= 256.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a 2-D tensor (N, D) of levels, got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    num_levels = check_int(num_levels, "num_levels", minimum=2)
    if num_levels > 256:
        raise ValueError(f"num_levels must be at most 256 (one byte per level), got {num_levels}")
    values = x.detach().cpu().double()
    if values.numel() and (bool((values != values.round()).any()) or float(values.min()) < 0
                           or float(values.max()) > num_levels - 1):
        raise ValueError(f"x must hold integer levels in [0, {num_levels - 1}]")
    rows = values.numpy().astype(np.uint8)
    lengths = []
    for row in rows:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate: no header or checksum
        lengths.append(8 * len(compressor.compress(row.tobytes()) + compressor.flush()))
    return torch.tensor(lengths, dtype=torch.float64)


def complexity_corrected_scores(log_prob, complexity_bits):
    """Outlier scores S(x) = -log2 p(x) - L(x), in bits: (N,) float64 (Serra et al. 2020).

    -log2 p(x) is the code length of x under the model and L(x) (:func:`compression_bits`) its length under a
    generic compressor, so S is the log-ratio of the two models: negative when the model compresses x better than
    the compressor does (x looks like the data), near zero or positive when it does not. Higher = more outlying.

    Args:
        log_prob: (N,) log-densities in nats.
        complexity_bits: (N,) code lengths L(x) in bits.
    """
    model = torch.as_tensor(_scores(log_prob, "log_prob"))
    complexity = torch.as_tensor(_scores(complexity_bits, "complexity_bits"))
    _matching(model, "log_prob", complexity, "complexity_bits")
    return -model / np.log(2.0) - complexity


def _entropy(value):
    value = check_real(value, "entropy")
    if not np.isfinite(value):
        raise ValueError(f"entropy must be a finite number of nats (the mean -log p of held-out data), got {value}")
    return value


def _batch_nll(log_prob, batch_size):
    values = torch.as_tensor(_scores(log_prob, "log_prob"))
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > len(values):
        raise ValueError(f"batch_size must be at most the number of inputs ({len(values)}), got {batch_size}")
    usable = len(values) // batch_size * batch_size
    return -values[:usable].view(-1, batch_size).mean(dim=1)  # (N // M,)


def typicality_scores(log_prob, entropy, batch_size=1):
    """The statistic of the typicality test (Nalisnick et al. 2019b) for consecutive batches of M inputs:
    | -1/M sum_m log p(x_m) - H |, (N // M,) float64 (a remainder of N mod M inputs is left out).

    H is an estimate of the model's entropy (the mean -log p of training or validation data). A batch of inputs
    drawn from the model's own distribution has a mean NLL close to H (the typical set); inputs whose likelihood is
    too *high* are flagged as well as those whose likelihood is too low. Higher = more outlying.

    Args:
        log_prob: (N,) log-densities in nats, the batches in consecutive rows.
        entropy: H, a float in nats.
        batch_size: M, a positive int <= N.
    """
    entropy = _entropy(entropy)
    return (_batch_nll(log_prob, batch_size) - entropy).abs()


def typicality_threshold(reference_log_prob, entropy, batch_size=1, *, alpha=0.01, num_bootstrap=1000,
                         generator=None):
    """The threshold eps of the typicality test at level ``alpha``: the (1 - alpha) quantile of
    ``typicality_scores`` of ``num_bootstrap`` batches of M inputs drawn with replacement from held-out data.

    A batch is declared out of distribution when its score exceeds eps; batches of data like the reference are
    then flagged with probability about ``alpha`` (the bootstrap of Nalisnick et al. 2019b). Returns a float.

    Args:
        reference_log_prob: (N,) log-densities of held-out inliers (not the data H was estimated on).
        entropy: H, a float in nats.
        batch_size: M, a positive int.
        alpha: the false-alarm rate, in (0, 1).
        num_bootstrap: the number of bootstrap batches, a positive int.
        generator: a torch.Generator or None.
    """
    values = torch.as_tensor(_scores(reference_log_prob, "reference_log_prob"))
    entropy = _entropy(entropy)
    batch_size = check_positive_int(batch_size, "batch_size")
    alpha = check_number(alpha, "alpha")
    if alpha >= 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    num_bootstrap = check_positive_int(num_bootstrap, "num_bootstrap")
    check_generator(generator)
    rows = torch.randint(len(values), (num_bootstrap, batch_size), generator=generator)
    statistics = (-values[rows].mean(dim=1) - entropy).abs()  # (num_bootstrap,)
    return float(torch.quantile(statistics, 1.0 - alpha))
