"""Noise schedules of the Gaussian diffusion process, computed once in float64 (Ho et al. 2020; Nichol & Dhariwal 2021).

The forward process adds noise in T steps, q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), t = 1..T, so that

    alpha_t = 1 - beta_t,     alpha_bar_t = prod_{s <= t} alpha_s,
    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),

and the posterior of one step back is q(x_{t-1} | x_t, x_0) = N(mu~_t, beta~_t I) with

    mu~_t = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
            + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t,
    beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t.

**Indexing.** Every array of a :class:`NoiseSchedule` has T + 1 entries and is indexed by the step t of the paper:
entry 0 is the data (beta_0 = 0, alpha_bar_0 = 1), entry T the last step. ``schedule.alpha_bar[t]`` reads as
alpha_bar_t; :meth:`NoiseSchedule.extract` indexes any of them by a batch of steps and broadcasts to the data.

**Continuous time.** Step t sits at time t / T in [0, 1]. Between the steps, log alpha_bar is interpolated linearly
(:meth:`NoiseSchedule.alpha_bar_at`), i.e. beta(s) of the VP SDE dx = -1/2 beta(s) x ds + sqrt(beta(s)) dW is constant
on every step, beta(s) = -T log(1 - beta_t) for s in ((t-1)/T, t/T]. That SDE has exactly the marginals q(x_t | x_0)
of the discrete chain at the grid times, so its probability-flow ODE (``ode.py``) belongs to the same model.

Schedules (``SCHEDULES``):

* ``"linear"`` (Ho et al.): beta_t evenly spaced from 1e-4 to 0.02 at T = 1000, both scaled by 1000 / T for other T
  (as in improved-diffusion), so alpha_bar_T stays small for any T (4.0e-5 at T = 1000, 2.0e-5 at T = 100);
* ``"cosine"`` (Nichol & Dhariwal): alpha_bar_t = f(t) / f(0), f(t) = cos^2(pi/2 (t/T + s) / (1 + s)), s = 0.008,
  beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} clipped at 0.999;
* ``"log_snr"`` (the linear log-SNR schedule of variational diffusion models, Kingma et al. 2021): the log
  signal-to-noise ratio lambda(s) = log(alpha_bar / (1 - alpha_bar)) falls linearly in s = t / T from lambda_max to
  lambda_min, alpha_bar_t = sigmoid(lambda(t / T)) for t >= 1 (alpha_bar_0 = 1). Its smallest noise level,
  sqrt(1 - alpha_bar_1) ~ exp(-lambda_max / 2), is a free choice: for data on a grid (the 17-level digits, bin
  half-width 1/16) setting it near the bin width, not 100 times below it as the linear schedule does, is what makes
  the variational bound small (the steps at noise far below the bin width cost bound and teach nothing).
"""

import math

import torch

from dgm_utils._validation import check_int, check_number, check_positive_int, check_real, check_tensor

__all__ = ["NoiseSchedule", "linear_betas", "cosine_betas", "log_snr_betas", "make_schedule", "SCHEDULES",
           "LINEAR_BETA_RANGE", "COSINE_OFFSET", "MAX_BETA", "LOG_SNR_RANGE"]

#: (beta_1, beta_T) of the linear schedule at T = 1000 (Ho et al. 2020), scaled by 1000 / T for other T.
LINEAR_BETA_RANGE = (1e-4, 0.02)
#: The offset s of the cosine schedule (Nichol & Dhariwal 2021): keeps beta_1 from being vanishingly small.
COSINE_OFFSET = 0.008
#: The cosine schedule clips every beta_t at this value (its last alpha_bar_t would otherwise be 0).
MAX_BETA = 0.999
#: (lambda_max, lambda_min) of the linear log-SNR schedule: noise std 0.05 at t = 1, alpha_bar_T = 4.5e-5.
LOG_SNR_RANGE = (6.0, -10.0)


def linear_betas(num_steps, beta_range=LINEAR_BETA_RANGE):
    """beta_1..beta_T evenly spaced from beta_range[0] to beta_range[1] times 1000 / T, float64 (T,)."""
    check_positive_int(num_steps, "num_steps")
    low, high = (check_number(value, "beta_range entries") for value in beta_range)
    scale = 1000.0 / num_steps
    if not low <= high or high * scale >= 1:
        raise ValueError(f"beta_range must have low <= high and high * 1000 / num_steps < 1, got {beta_range!r} "
                         f"at num_steps={num_steps} (use more steps or the cosine schedule)")
    return torch.linspace(low * scale, high * scale, num_steps, dtype=torch.float64)


def cosine_betas(num_steps, offset=COSINE_OFFSET, max_beta=MAX_BETA):
    """beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} of the cosine schedule, clipped at ``max_beta``, float64 (T,)."""
    check_positive_int(num_steps, "num_steps")
    check_number(offset, "offset")
    check_number(max_beta, "max_beta")
    if max_beta >= 1:
        raise ValueError(f"max_beta must be < 1, got {max_beta!r}")
    times = torch.arange(num_steps + 1, dtype=torch.float64) / num_steps  # (T + 1,)
    f = torch.cos(0.5 * math.pi * (times + offset) / (1 + offset)) ** 2
    alpha_bar = f / f[0]
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)


def log_snr_betas(num_steps, log_snr_range=LOG_SNR_RANGE):
    """beta_t = 1 - alpha_bar_t / alpha_bar_{t-1} of the linear log-SNR schedule, float64 (T,): alpha_bar_t =
    sigmoid(lambda_max + (t / T) (lambda_min - lambda_max)) for t = 1..T, alpha_bar_0 = 1."""
    check_positive_int(num_steps, "num_steps")
    if not isinstance(log_snr_range, (tuple, list)) or len(log_snr_range) != 2:
        raise ValueError(f"log_snr_range must be a pair (lambda_max, lambda_min), got {log_snr_range!r}")
    high, low = (check_real(value, "log_snr_range entries") for value in log_snr_range)
    if not (math.isfinite(high) and math.isfinite(low) and high > low):
        raise ValueError(f"log_snr_range must be finite with lambda_max > lambda_min (the noise grows with t), got "
                         f"{log_snr_range!r}")
    times = torch.arange(1, num_steps + 1, dtype=torch.float64) / num_steps  # (T,)
    log_alpha_bar = torch.nn.functional.logsigmoid(high + times * (low - high))  # (T,)
    log_alpha_bar = torch.cat([log_alpha_bar.new_zeros(1), log_alpha_bar])  # (T + 1,), 0 at the data
    return -torch.expm1(log_alpha_bar[1:] - log_alpha_bar[:-1])  # 1 - alpha_bar_t / alpha_bar_{t-1}, stable


SCHEDULES = {"linear": linear_betas, "cosine": cosine_betas, "log_snr": log_snr_betas}


class NoiseSchedule:
    """beta_t and everything derived from it, float64 arrays of T + 1 entries indexed by the step t (0 = data).

    Attributes (each a float64 tensor (T + 1,)): ``betas``, ``alphas``, ``alpha_bar``, ``sqrt_alpha_bar``,
    ``sqrt_one_minus_alpha_bar``, ``posterior_variance`` (beta~_t, 0 at t = 0 and t = 1),
    ``posterior_mean_coef_x0`` and ``posterior_mean_coef_xt`` (the two coefficients of mu~_t); ``num_steps`` = T.

    Args:
        betas: beta_1..beta_T, a tensor (T,) of values in (0, 1).
    """

    def __init__(self, betas):
        check_tensor(betas, "betas", dims=(1,))
        betas = betas.detach().to("cpu", torch.float64)
        if betas.numel() == 0 or not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError(f"betas must be a non-empty tensor (T,) of values in (0, 1), got {betas.numel()} values "
                             f"in [{float(betas.min()) if betas.numel() else 'nan'}, "
                             f"{float(betas.max()) if betas.numel() else 'nan'}]")
        self.num_steps = betas.numel()
        self.betas = torch.cat([betas.new_zeros(1), betas])  # (T + 1,), beta_0 = 0
        self.alphas = 1 - self.betas
        self.log_alpha_bar = torch.cumsum(torch.log(self.alphas), dim=0)  # (T + 1,), 0 at t = 0
        self.alpha_bar = torch.exp(self.log_alpha_bar)
        self.sqrt_alpha_bar = self.alpha_bar.sqrt()
        self.sqrt_one_minus_alpha_bar = (1 - self.alpha_bar).sqrt()
        alpha_bar_prev = torch.cat([self.alpha_bar.new_ones(1), self.alpha_bar[:-1]])  # alpha_bar_{t-1}, 1 at t = 0
        one_minus = (1 - self.alpha_bar).clamp(min=torch.finfo(torch.float64).tiny)  # 0 only at t = 0
        self.posterior_variance = (1 - alpha_bar_prev) / one_minus * self.betas
        self.posterior_mean_coef_x0 = alpha_bar_prev.sqrt() * self.betas / one_minus
        self.posterior_mean_coef_xt = self.alphas.sqrt() * (1 - alpha_bar_prev) / one_minus
        self.posterior_mean_coef_x0[0], self.posterior_mean_coef_xt[0] = 1.0, 0.0  # "one step back" from the data

    def __repr__(self):
        return (f"NoiseSchedule(num_steps={self.num_steps}, beta_1={float(self.betas[1]):.3g}, "
                f"beta_T={float(self.betas[-1]):.3g}, alpha_bar_T={float(self.alpha_bar[-1]):.3g})")

    def check_steps(self, t, name="t", *, minimum=0):
        """``t`` must be an integer tensor (N,) of steps in minimum..T; returned as int64 on the CPU."""
        check_tensor(t, name, dims=(1,), floating=False)
        if t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
            raise TypeError(f"{name} must be an integer tensor of steps, got dtype {t.dtype}")
        if t.numel() and (int(t.min()) < minimum or int(t.max()) > self.num_steps):
            raise ValueError(f"{name} must hold steps in {minimum}..{self.num_steps}, got values in "
                             f"{int(t.min())}..{int(t.max())}")
        return t.long()

    def extract(self, values, t, like):
        """values[t] for a batch of steps t (N,), shaped (N, 1, ..., 1) to broadcast against ``like`` (N, ...),
        in the dtype and on the device of ``like`` (the one read of the float64 arrays; improved-diffusion's
        ``_extract_into_tensor``)."""
        picked = values[t.to("cpu").long()]  # (N,) float64
        return picked.to(like.device, like.dtype).reshape(-1, *([1] * (like.dim() - 1)))

    def times(self, t):
        """The continuous time t / T in [0, 1] of integer steps t, float64 (N,): what the denoisers are given."""
        return t.to(torch.float64) / self.num_steps

    def log_alpha_bar_at(self, s):
        """log alpha_bar at continuous times s in [0, 1] (float64, any shape), linear between the grid times."""
        s = torch.as_tensor(s, dtype=torch.float64).clamp(0.0, 1.0)
        position = s * self.num_steps
        lower = position.floor().long().clamp(max=self.num_steps - 1)
        fraction = position - lower
        return (1 - fraction) * self.log_alpha_bar[lower] + fraction * self.log_alpha_bar[lower + 1]

    def alpha_bar_at(self, s):
        """alpha_bar(s) at continuous times s in [0, 1] (float64): alpha_bar_t at s = t / T."""
        return torch.exp(self.log_alpha_bar_at(s))

    def time_at_log_alpha_bar(self, log_alpha_bar):
        """The continuous time s at which log alpha_bar(s) equals the given value (a float or tensor, float64): the
        inverse of :meth:`log_alpha_bar_at` (log alpha_bar decreases strictly), clamped to [0, 1]."""
        value = torch.as_tensor(log_alpha_bar, dtype=torch.float64)
        descending = -self.log_alpha_bar  # increasing, 0 at t = 0
        upper = torch.searchsorted(descending, -value.reshape(-1)).clamp(1, self.num_steps).reshape(value.shape)
        low, high = descending[upper - 1], descending[upper]
        fraction = ((-value - low) / (high - low)).clamp(0.0, 1.0)
        return (upper - 1 + fraction) / self.num_steps

    def beta_at(self, s):
        """beta(s) = -d log alpha_bar / ds of the VP SDE at continuous times s (float64): -T log(1 - beta_t) on
        ((t-1)/T, t/T] (the right-continuous value at grid points, beta_1's at s = 0)."""
        s = torch.as_tensor(s, dtype=torch.float64).clamp(0.0, 1.0)
        step = torch.ceil(s * self.num_steps).long().clamp(1, self.num_steps)
        return -self.num_steps * torch.log(self.alphas[step])


def make_schedule(name="linear", num_steps=1000, **kwargs):
    """A :class:`NoiseSchedule` by name (``"linear"``, ``"cosine"`` or ``"log_snr"``, see ``SCHEDULES``) with T = ``num_steps``."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")
    check_int(num_steps, "num_steps", minimum=1)
    return NoiseSchedule(SCHEDULES[name](num_steps, **kwargs))
