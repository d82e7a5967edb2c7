"""Baselines that every model of the digits is compared with (used in chapters 0, 1, 2 and 3).

Independent categorical pixels (:class:`IndependentCategorical`). Each of the D dimensions of x takes one of K
levels 0..K-1, independently of the others, with its own table of probabilities theta (D, K):

    p(x) = prod_{d=1}^{D} theta[d, x_d],          log p(x) = sum_d log theta[d, x_d].

The maximum-likelihood table is the table of frequencies. With ``pseudo_count`` alpha added to every count
(alpha = 1 is Laplace's add-one rule: the posterior mean under a uniform Dirichlet prior), no level gets
probability zero on the training data's unseen levels:

    theta[d, k] = (n[d, k] + alpha) / (N + K alpha),     n[d, k] = #{i : x_{i,d} = k}.

Binary data are the case K = 2: theta[d, 1] is the Bernoulli mean of pixel d, and the model is the
independent Bernoulli baseline of the binarized digits, mu_d = (n_d + 1) / (N + 2) with add-one smoothing.

The density is exact (a finite product of normalized factors), so ``log_prob`` returns log p(x) of shape (N,)
and sums to one over all K^D configurations; sampling draws every dimension independently.
"""

import torch
from torch import nn

from dgm_utils._validation import check_number, check_positive_int, check_tensor
from dgm_utils.base import ExactLikelihoodModel

__all__ = ["IndependentCategorical"]


def _as_levels(x, name, num_levels, num_features=None):
    """x (N, D) of whole numbers in 0..num_levels-1 (integer, bool, or floating dtype), as a long tensor."""
    check_tensor(x, name, dims=(2,), floating=False)
    if x.is_complex():
        raise TypeError(f"{name} must hold integer levels 0..{num_levels - 1}, got dtype {x.dtype}")
    if num_features is not None and x.shape[1] != num_features:
        raise ValueError(f"{name} must have shape (N, {num_features}), got {tuple(x.shape)}")
    if x.is_floating_point():
        if not bool(torch.isfinite(x).all()) or not bool((x == x.round()).all()):
            raise ValueError(f"{name} must hold whole numbers 0..{num_levels - 1} (levels), got non-integer values")
    if x.numel() and (bool((x < 0).any()) or bool((x >= num_levels).any())):
        raise ValueError(f"{name} must hold levels 0..{num_levels - 1}, got values from "
                         f"{x.min().item():g} to {x.max().item():g}")
    return x.long()


class IndependentCategorical(ExactLikelihoodModel):
    """D independent categorical variables with K levels each: p(x) = prod_d probs[d, x_d].

    Defined here; used in chapter 0 (the first model of the digits and its samples), chapter 1 (the
    binary baseline, K = 2, and the 17-level baseline of PixelCNN), chapter 2 (the discrete baseline of the
    dequantized flows, and its tables turned into Gaussian spikes) and chapter 3 (the baseline of the VAE).

    Args:
        probs: (D, K) tensor of probabilities, each row non-negative and summing to one; kept as the
            buffer ``probs`` (the model has no trainable parameters: it is fitted by counting, see :meth:`fit`).

    Attributes:
        num_features: D.  num_levels: K.
    """

    def __init__(self, probs):
        super().__init__()
        check_tensor(probs, "probs", dims=(2,))
        if probs.shape[0] == 0 or probs.shape[1] == 0:
            raise ValueError(f"probs must have shape (D, K) with D, K >= 1, got {tuple(probs.shape)}")
        if not bool(torch.isfinite(probs).all()) or bool((probs < 0).any()):
            raise ValueError("probs must be finite and non-negative")
        row_sums = probs.sum(-1, dtype=torch.float64)
        if not torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5):
            worst = (row_sums - 1).abs().argmax().item()
            raise ValueError(f"every row of probs must sum to one, row {worst} sums to {row_sums[worst].item():.6f}")
        self.register_buffer("probs", probs.detach().clone())

    @classmethod
    def fit(cls, x_levels, num_levels, pseudo_count=1.0):
        """The smoothed frequency table of training data: probs[d, k] = (n[d, k] + alpha) / (N + K alpha).

        Args:
            x_levels: (N, D) training data, whole numbers 0..num_levels-1 (any integer dtype, bool, or a
                floating dtype holding whole numbers, such as ``load_digits()`` or its binarized view).
            num_levels: K, a positive int (``dgm.data.NUM_LEVELS`` = 17 for the digits, 2 for binary data).
            pseudo_count: alpha >= 0 added to every count; 1 is add-one smoothing, 0 plain maximum likelihood
                (unseen levels then get probability zero, and log-probability -inf).

        Returns:
            An :class:`IndependentCategorical` with D = x_levels.shape[1] and K = num_levels, in the default dtype.
        """
        check_positive_int(num_levels, "num_levels")
        pseudo_count = check_number(pseudo_count, "pseudo_count", allow_zero=True)
        levels = _as_levels(x_levels, "x_levels", num_levels)                             # (N, D)
        if levels.shape[1] == 0:
            raise ValueError(f"x_levels must have at least one column (dimension), got {tuple(levels.shape)}")
        if levels.shape[0] == 0 and pseudo_count == 0:
            raise ValueError("no data (N = 0) and pseudo_count = 0 leave every probability undefined; "
                             "give data or a positive pseudo_count")
        counts = nn.functional.one_hot(levels, num_levels).sum(0, dtype=torch.float64)    # (D, K)
        counts = counts + pseudo_count
        probs = counts / counts.sum(-1, keepdim=True)                                     # (D, K)
        return cls(probs.to(torch.get_default_dtype()))

    @property
    def num_features(self):
        return self.probs.shape[0]

    @property
    def num_levels(self):
        return self.probs.shape[1]

    @property
    def log_probs(self):
        """log probs (D, K): the table of log theta[d, k] (-inf where a probability is zero)."""
        return self.probs.log()

    def log_prob(self, x, *, context=None):
        """Exact log p(x) = sum_d log probs[d, x_d]: x (N, D) levels 0..K-1 -> (N,)."""
        self.check_context(context)
        levels = _as_levels(x, "x", self.num_levels, self.num_features)                        # (N, D)
        return self.log_probs.gather(1, levels.T).T.sum(-1)                                # (N,)

    def _sample(self, num_samples, *, generator, context):
        """num_samples independent draws, each dimension from its own row of probs: (num_samples, D) long.
        (The loss, inherited, is the mean NLL; the model is fitted by counting, no parameter needs it.)"""
        if num_samples == 0:
            return torch.empty(0, self.num_features, dtype=torch.long, device=self.probs.device)
        draws = torch.multinomial(self.probs, num_samples, replacement=True, generator=generator)  # (D, n)
        return draws.T                                                                              # (n, D)

    def extra_repr(self):
        return f"num_features={self.num_features}, num_levels={self.num_levels}"
