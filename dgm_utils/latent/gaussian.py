"""Diagonal Gaussians in the (mean, log-variance) parameterization: density, reparameterized sampling and the
closed-form KL divergence (chapter 3, hw3). The one implementation of that math for the latent variable models."""

import torch

from dgm_utils import distributions
from dgm_utils._validation import check_generator, check_positive_int, check_same_shape, check_tensor
from dgm_utils.distributions import standard_normal

__all__ = ["gaussian_log_prob", "reparameterize", "gaussian_kl"]


def gaussian_log_prob(x, mean, log_var):
    """log N(x; mean, diag(exp(log_var))) summed over the last dimension:

        -0.5 * sum_l [ log(2 pi) + log_var_l + (x_l - mean_l)^2 / exp(log_var_l) ].

    Args:
        x, mean, log_var: tensors broadcastable to a common shape (..., L), e.g. samples (K, N, L) with
            parameters (N, L).

    Returns:
        log density, shape (...,) of the broadcast shape without its last dimension.
    """
    for name, value in (("x", x), ("mean", mean), ("log_var", log_var)):
        check_tensor(value, name)
    return distributions.diagonal_gaussian_log_prob(x, mean, log_var)


def reparameterize(mean, log_var, num_samples=None, generator=None):
    """z = mean + exp(0.5 * log_var) * eps with eps ~ N(0, I): a sample of N(mean, diag(exp(log_var)))
    that is a differentiable function of (mean, log_var) (the reparameterization trick).

    Args:
        mean, log_var: parameters of q, shape (N, L) (any shape (..., L) works).
        num_samples: None for one sample per row, shape (N, L); an int K for K samples, shape (K, N, L).
        generator: optional ``torch.Generator`` for eps (drawn on the CPU, then moved).
    """
    check_tensor(mean, "mean")
    check_tensor(log_var, "log_var")
    check_same_shape(mean, "mean", log_var, "log_var")
    check_generator(generator)
    shape = mean.shape
    if num_samples is not None:
        check_positive_int(num_samples, "num_samples")
        shape = (num_samples, *shape)
    eps = standard_normal(shape, mean, generator)  # (N, L) or (K, N, L)
    return mean + torch.exp(0.5 * log_var) * eps


def _gaussian_kl_terms(mean, log_var, prior_mean=None, prior_log_var=None):
    """KL per dimension (..., L) of N(mean, exp(log_var)) from N(prior_mean, exp(prior_log_var))."""
    check_tensor(mean, "mean")
    check_tensor(log_var, "log_var")
    check_same_shape(mean, "mean", log_var, "log_var")
    if prior_mean is None and prior_log_var is None:  # the standard normal prior
        return 0.5 * (torch.exp(log_var) + mean**2 - 1.0 - log_var)
    prior_mean = torch.zeros_like(mean) if prior_mean is None else prior_mean
    prior_log_var = torch.zeros_like(log_var) if prior_log_var is None else prior_log_var
    check_tensor(prior_mean, "prior_mean")
    check_tensor(prior_log_var, "prior_log_var")
    return 0.5 * (prior_log_var - log_var - 1.0
                  + (torch.exp(log_var) + (mean - prior_mean) ** 2) * torch.exp(-prior_log_var))


def gaussian_kl(mean, log_var, prior_mean=None, prior_log_var=None):
    """Closed-form KL(q || p) between diagonal Gaussians q = N(mean, e^log_var), p = N(prior_mean, e^prior_log_var):

        KL = 0.5 * sum_l [ prior_log_var - log_var - 1 + (e^log_var + (mean - prior_mean)^2) / e^prior_log_var ],

    which for the default prior p = N(0, I) is 0.5 * sum_l (e^log_var + mean^2 - 1 - log_var).

    Args:
        mean, log_var: parameters of q, shape (..., L).
        prior_mean, prior_log_var: parameters of p, broadcastable to (..., L); None for 0.

    Returns:
        KL in nats, shape (...,).
    """
    return _gaussian_kl_terms(mean, log_var, prior_mean, prior_log_var).sum(-1)


