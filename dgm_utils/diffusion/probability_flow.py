"""The probability-flow ODE of a diffusion model (Song et al. 2021b): deterministic sampling and an ODE likelihood.

The discrete process of ``process.py`` has the marginals of the VP SDE dx = -1/2 beta(s) x ds + sqrt(beta(s)) dW at the
grid times s = t / T (``schedules.py``). The ODE with the same marginals at every s is

    dx/ds = -1/2 beta(s) [x + grad log p_s(x)] = -1/2 beta(s) [x - eps_theta(x, s) / sqrt(1 - alpha_bar(s))],

using score = -eps / sqrt(1 - alpha_bar). The solver runs it on the clock u = -log alpha_bar(s) instead of s,

    dx/du = -1/2 [x - eps_theta(x, s(u)) / sqrt(1 - e^{-u})],

on which it is smooth (beta(s) is constant on every step of the discrete schedule, so in s the right-hand side jumps at
every grid time, which costs an adaptive solver its accuracy); the two clocks give the same solution. Integrated from
N(0, I) at s = 1 down to s = ``min_time`` it samples
(:func:`probability_flow_sample`); integrated up from data it gives log p(x) through ``ode.ode_log_likelihood``
(:func:`probability_flow_log_likelihood`), exact in the limit of an exact solver and an exact score (the oracle of
``oracle.py`` makes the second exact). The score is singular at s = 0 (alpha_bar = 1), so the ODE stops at
``min_time`` (``ODE_MIN_TIME`` = 1e-5, as Song et al. do for likelihoods).

For data of K levels the ODE gives a density of values in [-1, 1]; the likelihood of the levels is then the
uniform-dequantization bound (Theis et al. 2016) log P(k) >= E_u log p(x_k + u) + D log(2 h), u ~ U(-h, h) per value,
h = 1 / (K - 1) the half-width of a bin, with one u per example: a stochastic lower bound, named as such.
"""

import math

import torch

from dgm_utils._validation import check_count, check_generator, check_number
from dgm_utils.diffusion.bound import bin_half_width
from dgm_utils.diffusion.ode import DEFAULT_ATOL, DEFAULT_RTOL, integrate_ode, ode_log_likelihood
from dgm_utils.distributions import standard_uniform

__all__ = ["probability_flow_velocity", "probability_flow_sample", "probability_flow_log_likelihood", "ODE_MIN_TIME"]

#: The probability-flow ODE stops this close to the data (the score is singular at s = 0).
ODE_MIN_TIME = 1e-5


def probability_flow_velocity(model, guidance_scale=0.0):
    """dx/du(x, u, labels=None) = -1/2 [x - eps_theta(x, s(u)) / sqrt(1 - e^{-u})] of a ``GaussianDiffusion`` on the
    clock u = -log alpha_bar(s) (multiply by beta(s) = du/ds for dx/ds)."""
    schedule = model.schedule
    check_number(guidance_scale, "guidance_scale", allow_zero=True)

    def velocity(x, u, labels=None):
        s = float(schedule.time_at_log_alpha_bar(-u))
        eps = model.noise_prediction(x, s, labels, guidance_scale)
        return -0.5 * (x - eps / math.sqrt(-math.expm1(-u)))
    return velocity


def _clock(schedule, s):
    """u = -log alpha_bar(s) of a time s in [0, 1]."""
    return -float(schedule.log_alpha_bar_at(s))


def probability_flow_sample(model, num_samples, *, generator=None, context=None, guidance_scale=0.0,
                            min_time=ODE_MIN_TIME, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, x_T=None):
    """Samples of the probability-flow ODE from x_T ~ N(0, I) (or the given ``x_T``, model space) at s = 1 to
    s = ``min_time`` with solve_ivp, in data space (levels for levels data). Deterministic given x_T."""
    check_count(num_samples)
    check_generator(generator)
    check_number(min_time, "min_time")
    x = model.prior_sample(num_samples, generator) if x_T is None else x_T
    if x.shape != (num_samples, *model.data_shape):
        raise ValueError(f"x_T must have shape {(num_samples, *model.data_shape)}, got {tuple(x.shape)}")
    if num_samples == 0:
        return model.to_data_space(x)
    labels = model.context_labels(context, num_samples, allow_null=True)
    result = integrate_ode(probability_flow_velocity(model, guidance_scale), x, _clock(model.schedule, 1.0),
                           _clock(model.schedule, min_time), dtype=x.dtype,
                           rtol=rtol, atol=atol, row_context=labels)
    return model.to_data_space(result.x)


def probability_flow_log_likelihood(model, x, *, context=None, divergence=None, min_time=ODE_MIN_TIME,
                                    rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, generator=None):
    """The ODE likelihood of data x (N, *data_shape) under a ``GaussianDiffusion``, float64 (N,), in nats per example:
    log N(x(1); 0, I) + int_{min_time}^1 div v ds, exact in the limit for continuous data; for levels data the
    uniform-dequantization lower bound of the module docstring. ``divergence``: ``"exact"``, ``"hutchinson"`` or None
    (exact up to ``ode.EXACT_DIVERGENCE_MAX_DIM`` dimensions); ``generator`` draws the probes and the dequantization."""
    check_generator(generator)
    check_number(min_time, "min_time")
    x0 = model.to_model_space(x)
    labels = model.context_labels(context, x0.shape[0], allow_null=True)
    offset = 0.0
    if model.num_levels is not None:
        h = bin_half_width(model.num_levels)
        x0 = x0 + h * (2.0 * standard_uniform(x0.shape, x0, generator) - 1.0)
        offset = x0[0].numel() * math.log(2.0 * h)
    with torch.no_grad():
        log_p = ode_log_likelihood(probability_flow_velocity(model), x0, min_time=_clock(model.schedule, min_time),
                                   max_time=_clock(model.schedule, 1.0), divergence=divergence,
                                   dtype=x0.dtype, rtol=rtol, atol=atol, generator=generator, row_context=labels)
    return log_p + offset
