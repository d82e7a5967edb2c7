"""Exact oracles for Gaussian-mixture data: the perfect "networks" of diffusion and flow matching.

For data x_0 ~ sum_k w_k N(mu_k, diag(sigma_k^2)) and a Gaussian path x = a x_0 + b eps, eps ~ N(0, I), every noised
marginal is again a mixture, sum_k w_k N(a mu_k, diag(a^2 sigma_k^2 + b^2)), and the posterior means are analytic:
with the responsibilities r_k(x) of its components and v_k = a^2 sigma_k^2 + b^2,

    E[eps | x]  = sum_k r_k(x) b (x - a mu_k) / v_k,                      score(x) = -E[eps | x] / b,
    E[x_0 | x]  = sum_k r_k(x) (mu_k + a sigma_k^2 (x - a mu_k) / v_k)    (:func:`mixture_posterior_means`).

* :class:`MixtureNoiseOracle`: eps(x, s) = E[eps | x_s] for the diffusion path a = sqrt(alpha_bar(s)),
  b = sqrt(1 - alpha_bar(s)) of a schedule: the minimizer of the noise-prediction loss, usable as the denoiser of
  ``GaussianDiffusion``;
* :class:`MixtureVelocityOracle`: v(x, s) = E[eps - x_0 | x_s] for the straight path a = 1 - s, b = s: the minimizer
  of the conditional flow-matching loss, usable as the velocity of ``FlowMatching``.

With them, sampling and ODE likelihoods have no learning error left: what differs from the mixture is the error of
the discretization (the number of steps) or of the solver. Everything is computed in float64.
"""

import torch
from torch import nn

from dgm_utils._validation import check_tensor
from dgm_utils.data import GaussianMixture2D
from dgm_utils.diffusion.schedules import NoiseSchedule

__all__ = ["mixture_posterior_means", "noised_mixture_score", "MixtureNoiseOracle", "MixtureVelocityOracle"]


def _mixture_tensors(toy):
    if not isinstance(toy, GaussianMixture2D):
        raise TypeError(f"toy must be a dgm_utils.data.GaussianMixture2D (ring, grid, ...), got {type(toy).__name__}")
    return toy.means.double(), toy.stds.double() ** 2, toy.logits.double()  # (K, 2), (K, 2), (K,)


def _posterior_means(x, means, variances, logits, a, b):
    """(E[x_0 | x], E[eps | x]) for x (N, D) float64, a, b float64 tensors broadcastable to (N, 1)."""
    a, b = a[..., None], b[..., None]  # (N, 1, 1): against the components axis
    noised_variances = a ** 2 * variances[None] + b ** 2  # (N, K, D)
    residual = x[:, None, :] - a * means[None]  # (N, K, D)
    log_normal = -0.5 * (residual ** 2 / noised_variances + torch.log(noised_variances)).sum(-1)  # (N, K)
    responsibilities = torch.softmax(log_normal + logits[None], dim=1)[..., None]  # (N, K, 1)
    eps = (responsibilities * b * residual / noised_variances).sum(1)  # (N, D)
    x0 = (responsibilities * (means[None] + a * variances[None] * residual / noised_variances)).sum(1)  # (N, D)
    return x0, eps


def _path_coefficients(value, n):
    value = torch.as_tensor(value, dtype=torch.float64)
    return value.expand(n, 1) if value.dim() == 0 else value.reshape(n, 1)


def mixture_posterior_means(x, toy, signal_scale, noise_std):
    """(E[x_0 | x], E[eps | x]) of x = a x_0 + b eps, x_0 from the mixture ``toy``: x (N, 2) -> two (N, 2) float64.
    ``signal_scale`` a and ``noise_std`` b are floats or tensors (N,) (not both zero)."""
    check_tensor(x, "x", dims=(2,))
    means, variances, logits = _mixture_tensors(toy)
    n = x.shape[0]
    return _posterior_means(x.double(), means, variances, logits, _path_coefficients(signal_scale, n),
                            _path_coefficients(noise_std, n))


def noised_mixture_score(x, toy, signal_scale, noise_std):
    """grad log p(x) of the noised mixture (a x_0 + b eps), x (N, 2) -> (N, 2) float64 (b > 0)."""
    _, eps = mixture_posterior_means(x, toy, signal_scale, noise_std)
    return -eps / _path_coefficients(noise_std, x.shape[0])


class _MixtureOracle(nn.Module):
    """Holds the mixture's parameters as float64 buffers (so the oracle moves with ``.to(device)``)."""

    def __init__(self, toy):
        super().__init__()
        means, variances, logits = _mixture_tensors(toy)
        self.register_buffer("means", means)
        self.register_buffer("variances", variances)
        self.register_buffer("logits", logits)

    def _check(self, x, time, labels):
        check_tensor(x, "x", dims=(2,))
        if labels is not None:
            raise ValueError("a mixture oracle is unconditional: labels must be None")
        time = torch.as_tensor(time, dtype=torch.float64, device=x.device)
        return x.double(), time.expand(x.shape[0]) if time.dim() == 0 else time.double()


class MixtureNoiseOracle(_MixtureOracle):
    """The exact noise prediction eps(x, s) = E[eps | x_s = x] of a Gaussian-mixture toy under a schedule's
    diffusion (a = sqrt(alpha_bar(s)), b = sqrt(1 - alpha_bar(s))): a denoiser for ``GaussianDiffusion``.

    Args:
        toy: a :class:`dgm_utils.data.GaussianMixture2D` (``ring()``, ``grid()``, ...).
        schedule: the :class:`NoiseSchedule` of the process it serves (its continuous alpha_bar(s)).
    """

    def __init__(self, toy, schedule):
        super().__init__(toy)
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
        self.schedule = schedule

    def forward(self, x, time, labels=None):
        x64, time = self._check(x, time, labels)
        alpha_bar = self.schedule.alpha_bar_at(time.cpu()).to(x.device)[:, None]  # (N, 1)
        _, eps = _posterior_means(x64, self.means, self.variances, self.logits, alpha_bar.sqrt(),
                                  (1 - alpha_bar).sqrt())
        return eps.to(x.dtype)


class MixtureVelocityOracle(_MixtureOracle):
    """The exact velocity v(x, s) = E[eps - x_0 | x_s = x] of a Gaussian-mixture toy on the straight path
    x_s = (1 - s) x_0 + s eps (conditional flow matching): a velocity network for ``FlowMatching``."""

    def forward(self, x, time, labels=None):
        x64, time = self._check(x, time, labels)
        s = time[:, None]  # (N, 1)
        x0, eps = _posterior_means(x64, self.means, self.variances, self.logits, 1 - s, s)
        return (eps - x0).to(x.dtype)
