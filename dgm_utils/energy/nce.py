"""Noise-contrastive estimation (Gutmann & Hyvarinen 2010): learn an energy and its log Z by classification.

A classifier tells data x from noise y ~ q (a density we can sample and evaluate), nu noise samples per data point,
with the logit G(u) = log p_theta(u) - log(nu q(u)), log p_theta(u) = -E_theta(u) - c and c a learned scalar
standing for log Z. The loss per data point,

    J(theta, c) = -(1/N) [ sum_i log sigmoid(G(x_i)) + sum_j log sigmoid(-G(y_j)) ],  j = 1..nu N,

is minimized by the data density itself, normalized: at the optimum c = log Z_theta, so NCE yields a log Z without
quadrature (compare it with :func:`dgm_utils.energy.log_partition` in 2-D). Noise close to the data makes the
classification hard and the estimate efficient; noise far from it makes J easy to drive to 0 and the estimate poor.
"""

import math

import torch
import torch.nn.functional as F

from dgm_utils._validation import check_generator, check_number, check_points, check_row_values

__all__ = ["nce_loss", "NoiseContrastiveEstimation"]


def nce_loss(log_model, x, noise, noise_log_prob):
    """The NCE loss for data x (N, D) and noise samples (M, D), nu = M / N noise samples per data point.

    Args:
        log_model: u (K, D) -> log p_theta(u) = -E_theta(u) - c, (K,).
        x, noise: data and noise samples.
        noise_log_prob: u (K, D) -> log q(u), (K,).
    """
    check_points(x, "x", min_rows=1)
    check_points(noise, "noise", dim=x.shape[1], min_rows=1)
    log_nu = math.log(noise.shape[0] / x.shape[0])
    logit_data = (check_row_values(log_model(x), len(x), "log_model(x)")
                  - check_row_values(noise_log_prob(x), len(x), "noise_log_prob(x)") - log_nu)  # (N,)
    logit_noise = (check_row_values(log_model(noise), len(noise), "log_model(noise)")
                   - check_row_values(noise_log_prob(noise), len(noise), "noise_log_prob(noise)") - log_nu)  # (M,)
    return -(F.logsigmoid(logit_data).sum() + F.logsigmoid(-logit_noise).sum()) / x.shape[0]


class NoiseContrastiveEstimation:
    """The NCE loss of an energy model with a learned log Z, ``loss_fn(model, x) -> scalar``, for ``fit``.

    The model needs ``energy(x)`` and a scalar parameter ``log_z`` (``MLPEnergy(..., learn_log_z=True)``); the
    noise is any object with ``sample(n, generator=...)`` and ``log_prob(x)`` (e.g. a Gaussian from
    ``dgm_utils.data`` that covers the data). ``noise_ratio`` nu noise samples are drawn per data point.
    """

    def __init__(self, noise, *, noise_ratio=1.0, generator=None):
        for method in ("sample", "log_prob"):
            if not callable(getattr(noise, method, None)):
                raise TypeError(f"noise must have sample(n, generator=) and log_prob(x), got "
                                f"{type(noise).__name__} without {method}")
        self.noise = noise
        self.noise_ratio = check_number(noise_ratio, "noise_ratio")
        self.generator = check_generator(generator)

    def __call__(self, model, x):
        log_z = getattr(model, "log_z", None)
        if not isinstance(log_z, torch.Tensor) or log_z.shape != ():
            raise TypeError(f"{type(model).__name__} needs a scalar parameter log_z for NCE (MLPEnergy(..., "
                            "learn_log_z=True))")
        num_noise = max(1, round(self.noise_ratio * x.shape[0]))
        noise = self.noise.sample(num_noise, generator=self.generator).to(x.device, x.dtype)  # (M, D)
        return nce_loss(lambda u: -model.energy(u) - log_z, x, noise,
                        lambda u: self.noise.log_prob(u).to(x.dtype))
