"""Distribution math shared by every part of the package: the bottom layer, which imports nothing of dgm_utils
but the argument checks.

* Diagonal Gaussians in the log-variance parameterization,

      log N(x; m, diag(e^v)) = -1/2 sum_l [ log(2 pi) + v_l + (x_l - m_l)^2 e^{-v_l} ],

  and standard normal noise drawn on the CPU (so one seeded CPU ``torch.Generator`` gives the same draws on
  any device).
* Diagonal Gaussian mixtures with unconstrained parameters (means mu, log standard deviations s, logits l):

      log p(x, z=k) = log softmax(l)_k + log N(x; mu_k, diag(e^{2 s_k})),     log p(x) = logsumexp_k log p(x, z=k),

  and ancestral sampling k ~ Categorical(softmax(l)), x = mu_k + e^{s_k} * eps.
* Categorical outputs: log softmax(logits)[x], inverse-CDF sampling with a temperature, and the check that a
  tensor holds integer levels 0..K-1.

The toys of ``dgm_utils.data`` compute their exact densities here, never through a model family's public
functions, so an assignment that blocks a family's reference implementation (``dgm_utils.latent.mixture_log_prob``
in hw0) never blocks the data, the metrics or the plots. The families' own entry points (the reference
implementations the chapters explain) validate their arguments and call these.
"""

import math

import torch

from dgm_utils._validation import check_count, check_generator, check_tensor

__all__ = [
    "LOG_TWO_PI",
    "standard_normal",
    "standard_uniform",
    "diagonal_gaussian_log_prob",
    "standard_normal_log_prob",
    "check_mixture_parameters",
    "mixture_joint_log_prob",
    "mixture_log_prob",
    "mixture_sample",
    "as_levels",
    "categorical_log_prob",
    "sample_categorical",
]

LOG_TWO_PI = math.log(2.0 * math.pi)


# --- Gaussians ------------------------------------------------------------------------------------------------

def standard_normal(shape, like, generator=None):
    """eps ~ N(0, I) of ``shape`` with the dtype and device of the tensor ``like``; drawn on the CPU when a
    generator is given (a CPU generator then serves any device), else with torch's global generator there."""
    if generator is None:
        return torch.randn(shape, dtype=like.dtype, device=like.device)
    return torch.randn(shape, generator=generator, dtype=like.dtype).to(like.device)


def standard_uniform(shape, like, generator=None):
    """u ~ U[0, 1) of ``shape``, drawn like :func:`standard_normal` (on the CPU when a generator is given)."""
    if generator is None:
        return torch.rand(shape, dtype=like.dtype, device=like.device)
    return torch.rand(shape, generator=generator, dtype=like.dtype).to(like.device)


def diagonal_gaussian_log_prob(x, mean, log_var):
    """log N(x; mean, diag(exp(log_var))) summed over the last dimension; inputs broadcast to (..., L) -> (...)."""
    return -0.5 * (LOG_TWO_PI + log_var + (x - mean) ** 2 * torch.exp(-log_var)).sum(-1)


def standard_normal_log_prob(z):
    """log N(z; 0, I) = -||z||^2 / 2 - (L / 2) log(2 pi), summed over the last dimension: (..., L) -> (...)."""
    return -0.5 * (z**2).sum(-1) - 0.5 * z.shape[-1] * LOG_TWO_PI


# --- Gaussian mixtures ----------------------------------------------------------------------------------------

def check_mixture_parameters(means, log_stds, logits, x=None):
    """Shapes of a mixture's parameters: means (K, D), log_stds (K, D), logits (K,); and of points x (N, D)."""
    for name, value in (("means", means), ("log_stds", log_stds), ("logits", logits)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if means.dim() != 2:
        raise ValueError(f"means must have shape (K, D), got {tuple(means.shape)}")
    if log_stds.shape != means.shape:
        raise ValueError(f"log_stds must have the shape of means {tuple(means.shape)}, got {tuple(log_stds.shape)}")
    if logits.shape != means.shape[:1]:
        raise ValueError(f"logits must have shape (K,) = ({means.shape[0]},), got {tuple(logits.shape)}")
    if x is not None:
        check_tensor(x, "x")
        if x.dim() != 2 or x.shape[1] != means.shape[1]:
            raise ValueError(f"x must have shape (N, D) with D = {means.shape[1]}, got {tuple(x.shape)}")


def mixture_joint_log_prob(x, means, log_stds, logits):
    """log p(x, z=k) = log pi_k + log N(x; mu_k, diag(sigma_k^2)) for points x (N, D) -> (N, K)."""
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]  # (N, K, D) standardized
    log_normal = -0.5 * (z**2 + LOG_TWO_PI).sum(-1) - log_stds.sum(-1)[None]  # (N, K)
    return log_normal + torch.log_softmax(logits, dim=0)[None]  # (N, K)


def mixture_log_prob(x, means, log_stds, logits):
    """log p(x) = logsumexp_k log p(x, z=k) of a diagonal Gaussian mixture at the rows of x (N, D) -> (N,)."""
    check_mixture_parameters(means, log_stds, logits, x)
    return torch.logsumexp(mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N,)


def mixture_sample(num_samples, means, log_stds, logits, generator=None):
    """Ancestral sampling of a diagonal Gaussian mixture: (num_samples, D) in the dtype of ``means``.

    k ~ Categorical(softmax(logits)), then x = mu_k + sigma_k * eps, eps ~ N(0, I); all draws on the CPU
    (``generator``), then moved to the device of ``means``.
    """
    check_mixture_parameters(means, log_stds, logits)
    check_count(num_samples)
    check_generator(generator)
    if num_samples == 0:
        return means.new_zeros(0, means.shape[1])
    probs = torch.softmax(logits.detach().float(), dim=0)
    components = torch.multinomial(probs.cpu(), num_samples, replacement=True, generator=generator)  # (n,)
    components = components.to(means.device)
    eps = torch.randn(num_samples, means.shape[1], generator=generator, dtype=means.dtype).to(means.device)
    return means[components] + torch.exp(log_stds[components]) * eps  # (n, D)


# --- categorical outputs --------------------------------------------------------------------------------------

def as_levels(x, num_levels, name="x"):
    """``x`` as a long tensor of levels 0..num_levels-1 (integer-valued floats are accepted)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(f"{name} must hold integer category values, got dtype {x.dtype}")
    if x.is_floating_point() and not bool(torch.all(x == torch.round(x))):
        raise ValueError(f"{name} must hold integer category values 0..{num_levels - 1}, got non-integers")
    x = x.long()
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= num_levels):
        raise ValueError(f"{name} must hold values in 0..{num_levels - 1}, "
                         f"got values in {int(x.min())}..{int(x.max())}")
    return x


def categorical_log_prob(logits, x):
    """log softmax(logits)[x] for logits (..., K) and integer x (...) -> (...)."""
    return torch.log_softmax(logits, dim=-1).gather(-1, x.unsqueeze(-1)).squeeze(-1)


def sample_categorical(logits, generator=None, temperature=1.0):
    """One draw from softmax(logits / temperature) for each row of logits (..., K) -> long (...).

    Inverse-CDF sampling with uniforms drawn on the CPU (so a CPU generator works for any device): the
    category is the number of cumulative probabilities below u.
    """
    probs = torch.softmax(logits.detach().float() / temperature, dim=-1)  # (..., K)
    uniform = torch.rand(probs.shape[:-1], generator=generator).to(probs.device)  # (...)
    cdf = torch.cumsum(probs, dim=-1)
    index = (cdf < uniform.unsqueeze(-1)).sum(-1)
    return index.clamp(max=probs.shape[-1] - 1)
