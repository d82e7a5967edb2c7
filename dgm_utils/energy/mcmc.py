"""MCMC on an energy E(x), p(x) proportional to exp(-E(x)): unadjusted Langevin (ULA) and MALA.

With step size eps and xi ~ N(0, I), one Langevin step is

    x' = x - eps * grad E(x) + sqrt(2 eps) * xi,

the Euler-Maruyama step of the Langevin diffusion dx = -grad E(x) dt + sqrt(2) dW over a time eps. ULA keeps every
x'; its stationary distribution is biased by O(eps): for E(x) = x^2 / (2 s^2) it is N(0, s^2 / (1 - eps / (2 s^2)))
(:func:`ula_gaussian_variance`). MALA (Roberts & Tweedie 1996) treats x' as a proposal and accepts it with
probability min(1, exp(-E(x') + E(x) + log q(x | x') - log q(x' | x))), q(y | x) = N(y; x - eps grad E(x), 2 eps I),
which removes the bias: p is then exactly stationary.

``langevin_sample(..., temperature=T)`` scales the noise to sqrt(2 eps T): the chain then targets exp(-E(x) / T), a
sharper distribution for T < 1. High-dimensional energy models are usually sampled so (the gradient step much larger
than the noise), which gives cleaner samples of a distribution that is no longer the model's.

``energy`` is a function x (N, D) -> (N,) or a model with an ``energy`` method (:class:`dgm_utils.base.EnergyModel`).
A chain that produces NaN or infinite values, or leaves the optional ``bounds`` box, stops with an error naming the
step; smaller steps are the usual fix.
"""

import math
from dataclasses import dataclass

import torch

from dgm_utils._validation import (check_generator, check_number, check_points, check_positive_int, check_range,
                                   check_row_values)
from dgm_utils.distributions import standard_normal, standard_uniform

__all__ = ["langevin_sample", "mala_sample", "MALAResult", "energy_function", "energy_gradient",
           "ula_gaussian_variance"]


def energy_function(energy):
    """A function x (N, D) -> (N,) from a function or an object with an ``energy`` method."""
    method = getattr(energy, "energy", None)
    if callable(method):
        return method
    if callable(energy):
        return energy
    raise TypeError(f"energy must be a function x (N, D) -> (N,) or a model with an energy method, got "
                    f"{type(energy).__name__}")


def energy_gradient(energy, x, *, create_graph=False):
    """(E(x) (N,), grad_x E(x) (N, D)); rows are independent, so the gradient of the sum is each row's gradient."""
    energy_fn = energy_function(energy)
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        values = check_row_values(energy_fn(x), x.shape[0], f"the energy of x {tuple(x.shape)}")
        (gradient,) = torch.autograd.grad(values.sum(), x, create_graph=create_graph)
    return values.detach(), gradient


def _check_state(x, step, bounds, sampler):
    if not bool(torch.isfinite(x).all()):
        raise FloatingPointError(f"{sampler}: the chain reached NaN or infinite values at step {step}; the step size "
                                 "is probably too large for this energy (try a smaller one), or the energy itself "
                                 "returns NaN")
    if bounds is not None:
        low, high = bounds
        if bool((x < low).any() or (x > high).any()):
            raise FloatingPointError(f"{sampler}: the chain left the data range [{low}, {high}] at step {step}; the "
                                     "step size is probably too large, or the energy does not confine the chain "
                                     "(an energy that decreases without bound outside the data)")


def _check_arguments(x0, step_size, num_steps, generator, bounds):
    check_points(x0, "x0", min_rows=1)
    check_number(step_size, "step_size")
    check_positive_int(num_steps, "num_steps")
    check_generator(generator)
    return check_range(bounds, "bounds", allow_none=True)


def langevin_sample(energy, x0, *, step_size, num_steps, generator=None, bounds=None, temperature=1.0):
    """Run ``num_steps`` unadjusted Langevin steps from x0 (N, D); return the final states (N, D), detached.

    Args:
        energy: a function x (N, D) -> (N,) or a model with ``energy``.
        x0: (N, D) floating tensor, the chains' starting points (one chain per row).
        step_size: eps > 0 of x' = x - eps grad E(x) + sqrt(2 eps) xi.
        num_steps: steps per chain.
        generator: a CPU ``torch.Generator`` for the noise (reproducible chains), or None.
        bounds: (low, high): stop with ``FloatingPointError`` if any coordinate leaves the box; None: no check.
        temperature: T > 0, noise sqrt(2 eps T): the chain targets exp(-E / T) (1: the model itself).
    """
    bounds = _check_arguments(x0, step_size, num_steps, generator, bounds)
    check_number(temperature, "temperature")
    energy_fn = energy_function(energy)
    x = x0.detach().clone()
    scale = math.sqrt(2.0 * step_size * temperature)
    for step in range(1, num_steps + 1):
        _, gradient = energy_gradient(energy_fn, x)
        x = x - step_size * gradient + scale * standard_normal(x.shape, x, generator)  # (N, D)
        _check_state(x, step, bounds, "langevin_sample")
    return x


@dataclass(frozen=True)
class MALAResult:
    """The result of :func:`mala_sample`: ``samples`` (N, D) and the fraction of accepted proposals."""

    samples: torch.Tensor
    acceptance_rate: float


def _log_proposal(to, frm, gradient_at_frm, step_size):
    """log q(to | frm) up to a constant shared by both directions: -|to - frm + eps grad E(frm)|^2 / (4 eps)."""
    return -((to - frm + step_size * gradient_at_frm) ** 2).sum(dim=1) / (4.0 * step_size)  # (N,)


def mala_sample(energy, x0, *, step_size, num_steps, generator=None, bounds=None):
    """Metropolis-adjusted Langevin: ``num_steps`` proposals per chain from x0 (N, D); returns :class:`MALAResult`.

    The arguments are those of :func:`langevin_sample`; rejected proposals keep the chain where it was.
    """
    bounds = _check_arguments(x0, step_size, num_steps, generator, bounds)
    energy_fn = energy_function(energy)
    x = x0.detach().clone()
    values, gradient = energy_gradient(energy_fn, x)
    scale, accepted = math.sqrt(2.0 * step_size), 0
    for step in range(1, num_steps + 1):
        proposal = x - step_size * gradient + scale * standard_normal(x.shape, x, generator)  # (N, D)
        _check_state(proposal, step, None, "mala_sample")
        proposal_values, proposal_gradient = energy_gradient(energy_fn, proposal)
        log_ratio = (values - proposal_values + _log_proposal(x, proposal, proposal_gradient, step_size)
                     - _log_proposal(proposal, x, gradient, step_size))  # (N,)
        accept = torch.log(standard_uniform(x.shape[0], x, generator)) < log_ratio  # (N,)
        x = torch.where(accept[:, None], proposal, x)
        values = torch.where(accept, proposal_values, values)
        gradient = torch.where(accept[:, None], proposal_gradient, gradient)
        accepted += int(accept.sum())
        _check_state(x, step, bounds, "mala_sample")
    return MALAResult(x, accepted / (num_steps * x.shape[0]))


def ula_gaussian_variance(variance, step_size):
    """The stationary variance of ULA on E(x) = x^2 / (2 variance): variance / (1 - step_size / (2 variance)).

    The chain x' = (1 - eps / s^2) x + sqrt(2 eps) xi is stable only for eps < 2 s^2.
    """
    check_number(variance, "variance")
    check_number(step_size, "step_size")
    if step_size >= 2.0 * variance:
        raise ValueError(f"ULA diverges on this Gaussian for step_size >= 2 variance = {2.0 * variance}, got "
                         f"{step_size}")
    return variance / (1.0 - step_size / (2.0 * variance))
