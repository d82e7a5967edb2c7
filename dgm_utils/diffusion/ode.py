"""ODEs dx/ds = v(x, s) solved with ``scipy.integrate.solve_ivp``, and the log-density change along them.

Both the probability-flow ODE of a diffusion model (Song et al. 2021) and the straight-path flow of flow matching are
such ODEs, with data at s = 0 and noise N(0, I) at s = 1 (the time convention of this package). Along a solution the
log-density obeys the instantaneous change of variables (Chen et al. 2018),

    d log p_s(x(s)) / ds = -div v(x(s), s),    so   log p_0(x(0)) = log N(x(1); 0, I) + int_0^1 div v(x(s), s) ds.

This gives a likelihood that is exact in the limit of an exact solver (and of the ODE's true velocity): an *ODE
likelihood*. The divergence is

* ``"exact"``: the trace of the Jacobian from ``torch.func`` (``vmap`` of ``jacrev``: D backward passes per
  evaluation, right for 2-D);
* ``"hutchinson"``: v^T (dv/dx) v with one Rademacher v per example, fixed for the whole solve (FFJORD, Grathwohl
  et al. 2019): unbiased for the trace, one backward pass per evaluation (for the 64 pixels of a digit).

The state is solved in float64 (the velocity itself is evaluated in ``dtype``); every evaluation checks that the
velocity is finite, and a failing solve raises with the time it reached.
"""

from dataclasses import dataclass

import numpy as np
import torch

from dgm_utils._validation import check_generator, check_number, check_tensor
from dgm_utils.distributions import standard_normal_log_prob, standard_uniform

__all__ = ["ODEResult", "integrate_ode", "ode_log_likelihood", "check_finite_state", "DIVERGENCES",
           "EXACT_DIVERGENCE_MAX_DIM", "DEFAULT_RTOL", "DEFAULT_ATOL"]

DIVERGENCES = ("exact", "hutchinson")
#: ``divergence=None`` takes the exact trace up to this many dimensions, the Hutchinson estimate above.
EXACT_DIVERGENCE_MAX_DIM = 8
#: Tolerances of solve_ivp's adaptive Runge-Kutta (RK45) by default.
DEFAULT_RTOL, DEFAULT_ATOL = 1e-5, 1e-5


def check_finite_state(x, where, advice):
    """Stop a sampler whose state has NaN or infinite values: FloatingPointError naming ``where`` (the step) and the
    likely cause ``advice``."""
    if not bool(torch.isfinite(x).all()):
        raise FloatingPointError(f"the sampler reached NaN or infinite values {where}; {advice}")
    return x


@dataclass(frozen=True)
class ODEResult:
    """The end of an ODE solve: ``x`` (N, ...) at the final time, ``divergence_integral`` (N,) = int div v ds from
    the first time to the last (None when not asked for), and the number of velocity evaluations."""

    x: torch.Tensor
    divergence_integral: torch.Tensor
    num_evaluations: int


def _call(velocity, x, s, row_context):
    return velocity(x, s) if row_context is None else velocity(x, s, row_context)


def _divergence_and_velocity(velocity, x, s, divergence, probes, row_context):
    """(v(x, s) (N, ...), div v (N,)) with the divergence of the chosen kind."""
    if divergence == "exact":
        def single(row, context_row):  # (...) -> (...), one example
            value = _call(velocity, row[None], s, None if context_row is None else context_row[None])[0]
            return value, value
        jacobian, value = torch.func.vmap(torch.func.jacrev(single, has_aux=True),
                                          in_dims=(0, None if row_context is None else 0))(x, row_context)
        flat = jacobian.reshape(x.shape[0], x[0].numel(), x[0].numel())  # (N, D, D)
        return value, torch.diagonal(flat, dim1=1, dim2=2).sum(dim=1)
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        value = _call(velocity, x, s, row_context)
        (vector_jacobian,) = torch.autograd.grad((value * probes).sum(), x)  # v^T dv/dx, (N, ...)
    return value.detach(), (vector_jacobian * probes).reshape(x.shape[0], -1).sum(dim=1)


def integrate_ode(velocity, x, t_start, t_end, *, divergence=False, dtype=torch.float32, rtol=DEFAULT_RTOL,
                  atol=DEFAULT_ATOL, generator=None, method="RK45", row_context=None):
    """Solve dx/ds = velocity(x, s) from ``t_start`` to ``t_end`` (either direction) for every row of x (N, ...).

    Args:
        velocity: a function (x (N, ...) in ``dtype``, s a float) -> (N, ...), rows independent (no batch norm);
            with ``divergence="exact"`` it is called under ``torch.func.vmap`` on single rows.
        x: the start, a floating tensor (N, ...).
        divergence: False (only x), ``"exact"``, ``"hutchinson"`` or None (exact up to ``EXACT_DIVERGENCE_MAX_DIM``
            dimensions per example, else Hutchinson): also integrate div v ds.
        dtype: the dtype the velocity is evaluated in (the network's); the solver's state is float64.
        rtol, atol: solve_ivp's tolerances; method: its method (``"RK45"``, ``"DOP853"``, ...).
        generator: a CPU ``torch.Generator`` for the Hutchinson probes.
        row_context: None, or a tensor (N, ...) of per-row inputs (class labels) passed as ``velocity(x, s,
            row_context)``.

    Returns:
        :class:`ODEResult` with x at ``t_end`` in the dtype of the input x.
    """
    from scipy.integrate import solve_ivp

    check_tensor(x, "x")
    if x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a batch (N, ...) with N >= 1, got shape {tuple(x.shape)}")
    t_start, t_end = (check_number(t, name, allow_zero=True) for t, name in ((t_start, "t_start"), (t_end, "t_end")))
    if t_start == t_end:
        raise ValueError(f"t_start and t_end must be different times, got {t_start} twice")
    check_number(rtol, "rtol")
    check_number(atol, "atol")
    check_generator(generator)
    if divergence is None:
        divergence = "exact" if x[0].numel() <= EXACT_DIVERGENCE_MAX_DIM else "hutchinson"
    if divergence is not False and divergence not in DIVERGENCES:
        raise ValueError(f"divergence must be False, None or one of {DIVERGENCES}, got {divergence!r}")
    shape, n, device = x.shape, x.shape[0], x.device
    size = x.numel()
    probes = None
    if divergence == "hutchinson":
        signs = standard_uniform(shape, torch.empty(0, dtype=dtype), generator) < 0.5
        probes = (2.0 * signs.to(dtype) - 1.0).to(device)  # Rademacher, (N, ...)
    evaluations = [0]

    def rhs(s, state):
        evaluations[0] += 1
        current = torch.from_numpy(state[:size]).reshape(shape).to(device, dtype)
        if divergence is False:
            value = _call(velocity, current, float(s), row_context)
            trace = None
        else:
            value, trace = _divergence_and_velocity(velocity, current, float(s), divergence, probes, row_context)
        check_finite_state(value, f"at time s = {float(s):.6g} (the velocity)", "the network returns NaN or "
                           "infinite values there (was it trained? an input far outside the data?)")
        derivative = value.detach().double().reshape(-1).cpu().numpy()
        if trace is not None:
            derivative = np.concatenate([derivative, trace.detach().double().cpu().numpy()])
        return derivative

    start = x.detach().double().reshape(-1).cpu().numpy()
    if divergence is not False:
        start = np.concatenate([start, np.zeros(n)])
    with torch.no_grad() if divergence != "hutchinson" else torch.enable_grad():
        solution = solve_ivp(rhs, (t_start, t_end), start, method=method, rtol=rtol, atol=atol)
    if not solution.success:
        raise RuntimeError(f"the ODE solver stopped at s = {float(solution.t[-1]):.6g} on the way from {t_start} to "
                           f"{t_end}: {solution.message}")
    end = torch.from_numpy(solution.y[:, -1].copy())
    x_end = end[:size].reshape(shape).to(device, x.dtype)
    integral = end[size:].to(device) if divergence is not False else None
    return ODEResult(x_end, integral, evaluations[0])


def ode_log_likelihood(velocity, x, *, min_time=0.0, max_time=1.0, divergence=None, dtype=torch.float32,
                       rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, generator=None, row_context=None):
    """The ODE likelihood log p(x) = log N(x(max_time); 0, I) + int_{min_time}^{max_time} div v ds of the rows of x
    (N, ...), float64 (N,): exact in the limit of an exact solver (the arguments are those of :func:`integrate_ode`;
    ``max_time`` is where the distribution is N(0, I), 1 unless the ODE runs on another clock)."""
    result = integrate_ode(velocity, x, min_time, max_time, divergence=divergence, dtype=dtype, rtol=rtol, atol=atol,
                           generator=generator, row_context=row_context)
    prior = standard_normal_log_prob(result.x.double().reshape(x.shape[0], -1))  # (N,)
    return prior + result.divergence_integral
