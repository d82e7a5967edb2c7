"""Conditional flow matching with straight paths (Lipman et al. 2023; rectified flow, Liu et al. 2023).

Data at s = 0, noise at s = 1 (the convention of the whole package): the straight path from x_0 to eps ~ N(0, I) is

    x_s = (1 - s) x_0 + s eps,      with velocity  d x_s / ds = eps - x_0.

The loss regresses a network v_theta(x_s, s) on that velocity (``loss``),

    L = E_{s ~ U(0, 1), x_0, eps} mean |v_theta(x_s, s) - (eps - x_0)|^2,

minimized by the marginal velocity v(x, s) = E[eps - x_0 | x_s = x] (the oracle of ``oracle.py``), whose ODE
dx/ds = v(x, s) carries N(0, I) at s = 1 to the data at s = 0. Sampling integrates it backwards, with ``num_steps``
Euler steps x <- x - (1 / num_steps) v(x, s) or with solve_ivp (``method="ode"``); ``log_prob`` is the ODE likelihood
log N(x(1); 0, I) + int_0^1 div v ds of ``ode.py`` with the exact trace: the model is a continuous normalizing flow,
exact up to the solver's tolerance (as quadrature is in ``dgm_utils.energy``). Its ``loss`` is the flow-matching loss,
not the NLL: the point of flow matching is to train without solving the ODE.
"""

import torch
from torch import nn

from dgm_utils._validation import check_generator, check_int, check_sizes, check_tensor
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.diffusion.ode import DEFAULT_ATOL, DEFAULT_RTOL, check_finite_state, integrate_ode, ode_log_likelihood
from dgm_utils.distributions import standard_normal, standard_uniform

__all__ = ["FlowMatching", "SAMPLE_METHODS", "DEFAULT_EULER_STEPS"]

SAMPLE_METHODS = ("euler", "ode")
#: ``FlowMatching.sample`` takes this many Euler steps unless told otherwise.
DEFAULT_EULER_STEPS = 100


class FlowMatching(ExactLikelihoodModel):
    """A continuous normalizing flow trained by conditional flow matching with straight paths (module docstring).

    Args:
        velocity: an ``nn.Module`` called as ``velocity(x (N, *data_shape), s (N,) in [0, 1], None)`` returning a
            tensor of the shape of x (any denoiser of ``networks.py``, or ``MixtureVelocityOracle``).
        data_shape: the shape of one example, e.g. (2,).
        divergence: the divergence of ``log_prob``: ``"exact"`` (default) or ``"hutchinson"`` (stochastic).
        rtol, atol: the tolerances of the solver for ``log_prob`` and ``sample(method="ode")``.
    """

    def __init__(self, velocity, data_shape, *, divergence="exact", rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL):
        super().__init__()
        if not isinstance(velocity, nn.Module):
            raise TypeError(f"velocity must be an nn.Module, got {type(velocity).__name__}")
        self.velocity = velocity
        self.data_shape = check_sizes(data_shape, "data_shape")
        if divergence not in ("exact", "hutchinson"):
            raise ValueError(f"divergence must be 'exact' or 'hutchinson', got {divergence!r}")
        self.divergence, self.rtol, self.atol = divergence, rtol, atol
        self.register_buffer("_anchor", torch.zeros(()), persistent=False)

    def _like(self):
        parameter = next(self.velocity.parameters(), None)
        return parameter if parameter is not None else self._anchor

    def _check_data(self, x, name="x"):
        check_tensor(x, name)
        if tuple(x.shape[1:]) != self.data_shape or x.dim() != len(self.data_shape) + 1:
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, self.data_shape))}), got "
                             f"{tuple(x.shape)}")
        like = self._like()
        return x.to(like.device, like.dtype)

    def velocity_at(self, x, time):
        """v_theta(x, s) at times s (N,) (a float is broadcast), checked to have the shape of x."""
        if not isinstance(time, torch.Tensor):
            time = torch.full((x.shape[0],), float(time), dtype=x.dtype, device=x.device)
        value = self.velocity(x, time.to(x.device, x.dtype), None)
        if not isinstance(value, torch.Tensor) or value.shape != x.shape:
            raise ValueError(f"the velocity network must return the shape of x {tuple(x.shape)}, got "
                             f"{tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__}")
        return value

    def interpolate(self, x0, noise, time):
        """x_s = (1 - s) x_0 + s eps for times s (N,)."""
        s = time.to(x0.device, x0.dtype).reshape(-1, *([1] * (x0.dim() - 1)))
        return (1 - s) * x0 + s * noise

    def loss(self, x, *, context=None, generator=None):
        """The conditional flow-matching loss: mean over examples and dimensions of |v_theta(x_s, s) - (eps - x_0)|^2,
        s ~ U(0, 1)."""
        self.check_context(context)
        x0 = self._check_data(x)
        time = standard_uniform((x0.shape[0],), x0, generator)  # (N,)
        noise = standard_normal(x0.shape, x0, generator)
        return ((self.velocity_at(self.interpolate(x0, noise, time), time) - (noise - x0)) ** 2).mean()

    def log_prob(self, x, *, context=None, generator=None):
        """The ODE likelihood log N(x(1); 0, I) + int_0^1 div v ds, (N,) float64 (exact trace unless the model's
        ``divergence`` is ``"hutchinson"``, whose probes ``generator`` draws)."""
        self.check_context(context)
        check_generator(generator)
        x0 = self._check_data(x)
        with torch.no_grad():
            return ode_log_likelihood(self.velocity_at, x0, divergence=self.divergence, dtype=x0.dtype, rtol=self.rtol,
                                      atol=self.atol, generator=generator)

    @torch.no_grad()
    def _sample(self, num_samples, *, generator, context, method="euler", num_steps=DEFAULT_EULER_STEPS, x_T=None):
        """From x_1 ~ N(0, I) (or ``x_T``) to s = 0: ``num_steps`` Euler steps, or solve_ivp with ``method="ode"``."""
        if method not in SAMPLE_METHODS:
            raise ValueError(f"method must be one of {SAMPLE_METHODS}, got {method!r}")
        check_int(num_steps, "num_steps", minimum=1)
        like = self._like()
        x = standard_normal((num_samples, *self.data_shape), like, generator) if x_T is None else self._check_data(
            x_T, "x_T")
        if x.shape[0] != num_samples:
            raise ValueError(f"x_T must hold num_samples = {num_samples} examples, got {x.shape[0]}")
        if num_samples == 0:
            return x
        if method == "ode":
            return integrate_ode(self.velocity_at, x, 1.0, 0.0, dtype=x.dtype, rtol=self.rtol, atol=self.atol).x
        for step in range(num_steps, 0, -1):
            x = x - self.velocity_at(x, step / num_steps) / num_steps
            check_finite_state(x, f"at Euler step {num_steps - step + 1} of {num_steps} (s = {step / num_steps:.4g})",
                               "the velocity network returns NaN or very large values (is it trained?)")
        return x
