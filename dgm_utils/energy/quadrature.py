"""Normalizing a 2-D energy by quadrature: log Z = log of the integral of exp(-E) over a box.

On a resolution x resolution grid of cell centres x_ij with cell area A, the midpoint rule gives

    Z ~ A * sum_ij exp(-E(x_ij)),   log Z ~ log A + logsumexp_ij(-E(x_ij)),

computed as a log-sum-exp, so energies of any size neither overflow nor underflow. For a smooth integrand the
error of the midpoint rule falls at least as 1 / resolution^2, and much faster (exponentially) for one that
vanishes smoothly well inside the box, as a density with light tails does. :func:`log_partition_refinement` shows
it by halving the cells: the difference between the two finest grids bounds the error of the finer one (it is
three times that error when the error is exactly proportional to 1 / resolution^2). Mass outside the box is not
counted: choose bounds that hold the density (the toys' ``bounds`` do).

:class:`QuadratureNormalized` turns an energy model into a density, log p(x) = -E(x) - log Z, which the likelihood
metrics (test NLL, KL to the truth) then evaluate like any exact model.
"""

import math

import torch

from dgm_utils._validation import check_bounds, check_points, check_positive_int, check_row_values
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.energy.mcmc import energy_function
from dgm_utils.metrics import grid_log_prob

__all__ = ["log_partition", "log_partition_refinement", "QuadratureNormalized", "DEFAULT_RESOLUTION"]

#: cells per axis of the default quadrature grid
DEFAULT_RESOLUTION = 400


def _negative_energy(energy):
    energy_fn = energy_function(energy)

    def negative(x):
        with torch.no_grad():
            return -check_row_values(energy_fn(x), x.shape[0], f"the energy of x {tuple(x.shape)}")
    return negative


def _log_partition_and_weights(energy, bounds, resolution):
    """(log Z, log(exp(-E(centre)) A) of every cell, (res^2,) float64 in row-major order over (y, x))."""
    (x_low, x_high), (y_low, y_high) = check_bounds(bounds)
    check_positive_int(resolution, "resolution")
    _, _, negative = grid_log_prob(_negative_energy(energy), bounds, resolution)  # (res, res)
    negative = negative.double().reshape(-1)  # (res^2,)
    if bool(torch.isnan(negative).any()) or bool((negative == math.inf).any()):
        raise FloatingPointError("the energy is NaN or -inf on the quadrature grid, so exp(-E) has no finite "
                                 "integral (did training diverge?)")
    log_weights = negative + math.log((x_high - x_low) * (y_high - y_low) / resolution ** 2)
    return float(torch.logsumexp(log_weights, dim=0)), log_weights


def log_partition(energy, bounds, resolution=DEFAULT_RESOLUTION):
    """log Z of exp(-E) over the 2-D box ``bounds`` = ((x_min, x_max), (y_min, y_max)) by the midpoint rule.

    ``energy``: a function x (N, 2) -> (N,) or a model with ``energy``. Raises ``FloatingPointError`` when the energy
    is NaN somewhere on the grid or -inf (infinite mass).
    """
    return _log_partition_and_weights(energy, bounds, resolution)[0]


def log_partition_refinement(energy, bounds, resolutions=(100, 200, 400)):
    """[(resolution, log Z)] on grids of increasing resolution, and the error estimate of the finest one.

    Returns ``(rows, error)`` with error = |log Z(finest) - log Z(second finest)|, a bound on the finest grid's
    error when the midpoint rule has converged (the error shrinking as 1 / resolution^2).
    """
    resolutions = [check_positive_int(r, "resolution") for r in resolutions]
    if len(resolutions) < 2 or sorted(resolutions) != resolutions or len(set(resolutions)) != len(resolutions):
        raise ValueError(f"resolutions must be at least two increasing values, got {resolutions}")
    rows = [(r, log_partition(energy, bounds, r)) for r in resolutions]
    return rows, abs(rows[-1][1] - rows[-2][1])


class QuadratureNormalized(ExactLikelihoodModel):
    """The density exp(-E(x)) / Z of a 2-D energy, Z by quadrature over ``bounds``.

    ``log_z`` is computed once, here; call :meth:`renormalize` after the energy changes. The energy model's
    parameters are not copied: it is held as a submodule when it is an ``nn.Module``. ``sample`` draws from the
    quadrature's piecewise-constant version of the density (a cell by its mass, then a uniform point in it).
    """

    def __init__(self, energy, bounds, resolution=DEFAULT_RESOLUTION):
        super().__init__()
        self.energy_fn = energy_function(energy)
        if isinstance(energy, torch.nn.Module):
            self.energy_model = energy
        self.bounds = check_bounds(bounds)
        self.resolution = check_positive_int(resolution, "resolution")
        self.renormalize()

    def renormalize(self):
        """Recompute log Z (and the grid the sampler draws from) for the energy as it is now; returns log Z."""
        self.log_z, self._cell_log_weights = _log_partition_and_weights(self.energy_fn, self.bounds, self.resolution)
        return self.log_z

    def _log_prob(self, x):
        return -self.energy_fn(x) - self.log_z  # (N,)

    def log_prob(self, x, *, context=None):
        """log p(x) = -E(x) - log Z, x (N, 2) -> (N,), outside the box too (so that a test point just outside it
        is scored, not given -inf): Z counts the box only, so the density integrates to 1 plus the mass outside."""
        check_points(x, "x", dim=2)
        self.check_context(context)
        return self._log_prob(x)

    def _sample(self, num_samples, *, generator, context):
        """Draws from the quadrature's piecewise-constant density: a cell with probability exp(-E(centre)) A / Z,
        then a uniform point in it (exact for that approximation, which converges to p as the cells shrink)."""
        (x_low, x_high), (y_low, y_high) = self.bounds
        if num_samples == 0:
            return torch.zeros(0, 2)
        probabilities = torch.softmax(self._cell_log_weights, dim=0)  # (res^2,), row-major over (y, x)
        cells = torch.multinomial(probabilities, num_samples, replacement=True, generator=generator)  # (N,)
        offsets = torch.rand(num_samples, 2, generator=generator, dtype=torch.float64)  # (N, 2), in the cell
        rows, columns = cells // self.resolution, cells % self.resolution
        x = x_low + (columns.double() + offsets[:, 0]) * (x_high - x_low) / self.resolution
        y = y_low + (rows.double() + offsets[:, 1]) * (y_high - y_low) / self.resolution
        return torch.stack([x, y], dim=1).float()  # (N, 2)
