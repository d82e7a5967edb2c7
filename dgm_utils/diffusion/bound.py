"""The pieces of the variational bound of a diffusion model (Ho et al. 2020, eq. 5), in nats, float64 inside.

    log p(x_0) >= E_q[ log p(x_0 | x_1) ] - KL(q(x_T | x_0) || N(0, I)) - sum_{t=2}^T E_q KL(q(x_{t-1} | x_t, x_0)
                                                                                       || p(x_{t-1} | x_t))

* :func:`gaussian_kl`: KL between two diagonal Gaussians, summed over the data dimensions (every term of the sum);
* :func:`discretized_gaussian_log_likelihood`: the decoder log p(x_0 | x_1) for data of K levels, the Gaussian
  N(mu, sigma^2) integrated over each level's bin;
* :func:`levels_to_signed` / :func:`signed_to_levels`: levels 0..K-1 <-> the grid -1, -1 + 2/(K-1), ..., 1.

**The discrete decoder for K levels.** Level k sits at x_k = 2k / (K - 1) - 1; its bin is [x_k - h, x_k + h] with
h = 1 / (K - 1) (the bins have width 2 / (K - 1) and tile [-1 - h, 1 + h]), except that the first bin reaches down to
-inf and the last up to +inf, so that the K probabilities sum to exactly 1:

    P(k | mu, sigma) = Phi((x_k + h - mu) / sigma) - Phi((x_k - h - mu) / sigma),   Phi(-inf) = 0, Phi(+inf) = 1.

For the 8x8 digits K = 17: width 2/16 = 0.125, h = 1/16. Public diffusion code writes K = 256 into these offsets
(bin width 2/255, score_sde issue #51); on 17-level data that puts most of each level's mass outside its bin.
"""

import math

import torch

from dgm_utils._validation import check_int, check_tensor
from dgm_utils.distributions import as_levels

__all__ = ["gaussian_kl", "discretized_gaussian_log_likelihood", "levels_to_signed", "signed_to_levels",
           "bin_half_width"]


def bin_half_width(num_levels):
    """h = 1 / (K - 1): half the width of a level's bin on the grid [-1, 1] (1/16 for the digits' 17 levels)."""
    check_int(num_levels, "num_levels", minimum=2)
    return 1.0 / (num_levels - 1)


def levels_to_signed(x, num_levels, name="x"):
    """Levels 0..K-1 (an integer-valued tensor) -> the grid 2k / (K - 1) - 1 in [-1, 1], float32 (or x's float)."""
    dtype = x.dtype if isinstance(x, torch.Tensor) and x.is_floating_point() else torch.float32
    levels = as_levels(x, num_levels, name)
    return (2.0 * bin_half_width(num_levels) * levels - 1.0).to(dtype)


def signed_to_levels(x, num_levels):
    """The level whose bin holds each value of x (values below -1 go to level 0, above 1 to K-1), float like x."""
    check_tensor(x, "x")
    h = bin_half_width(num_levels)
    return torch.round((x.clamp(-1.0, 1.0) + 1.0) / (2.0 * h))


def gaussian_kl(mean_1, log_var_1, mean_2, log_var_2):
    """KL(N(mean_1, e^log_var_1) || N(mean_2, e^log_var_2)) summed over all but the first dimension, (N, ...) -> (N,).

        KL = 1/2 sum_d [ log_var_2 - log_var_1 + (e^log_var_1 + (mean_1 - mean_2)^2) e^-log_var_2 - 1 ],

    computed in float64; the arguments broadcast.
    """
    mean_1, log_var_1, mean_2, log_var_2 = (torch.as_tensor(v, dtype=torch.float64) for v in (mean_1, log_var_1, mean_2,
                                                                                   log_var_2))
    kl = 0.5 * (log_var_2 - log_var_1 + (torch.exp(log_var_1) + (mean_1 - mean_2) ** 2) * torch.exp(-log_var_2) - 1)
    return kl.reshape(kl.shape[0], -1).sum(dim=1)


def _log_cdf_difference(upper, lower):
    """log(Phi(upper) - Phi(lower)) for upper > lower, stable in both tails (by symmetry, the side where both CDFs
    are small: Phi(b) - Phi(a) = Phi(-a) - Phi(-b))."""
    flip = (lower + upper) > 0
    high = torch.where(flip, -lower, upper)
    low = torch.where(flip, -upper, lower)
    log_high, log_low = torch.special.log_ndtr(high), torch.special.log_ndtr(low)
    return log_high + torch.log1p(-torch.exp((log_low - log_high).clamp(max=0.0)))


def discretized_gaussian_log_likelihood(x, mean, log_scale, num_levels):
    """log P(x | mean, sigma = e^log_scale) of data on the K-level grid of :func:`levels_to_signed`, summed over all but
    the first dimension: x, mean, log_scale broadcast to (N, ...) -> (N,), float64.

    Each value's probability is the Gaussian's mass over its level's bin, with the edge bins open to -inf and +inf
    (see the module docstring); x must lie on the grid (a level mapped to [-1, 1]).
    """
    h = bin_half_width(num_levels)
    x, mean, log_scale = (torch.as_tensor(v, dtype=torch.float64) for v in (x, mean, log_scale))
    inverse_scale = torch.exp(-log_scale)
    upper = torch.where(x > 1 - h, torch.full_like(x, math.inf), (x + h - mean) * inverse_scale)
    lower = torch.where(x < -1 + h, torch.full_like(x, -math.inf), (x - h - mean) * inverse_scale)
    upper, lower = torch.broadcast_tensors(upper, lower)
    log_p = _log_cdf_difference(upper, lower)
    return log_p.reshape(log_p.shape[0], -1).sum(dim=1)
