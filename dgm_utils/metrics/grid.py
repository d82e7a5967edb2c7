"""2-D densities on a grid: evaluated at the cell centres (for heat maps) and integrated (a check of normalization)."""

import torch

from dgm_utils._validation import check_bounds, check_positive_int
from dgm_utils.metrics.likelihood import LogProbEvaluator

__all__ = ["grid_log_prob", "grid_integral"]

# batch size when a grid of points is evaluated
_GRID_BATCH_SIZE = 16_384


def _grid_points(bounds, resolution):
    """Cell centres of a resolution x resolution grid over the box: xx, yy (res, res) and cell area."""
    (x_low, x_high), (y_low, y_high) = check_bounds(bounds)
    check_positive_int(resolution, "resolution")
    dx = (x_high - x_low) / resolution
    dy = (y_high - y_low) / resolution
    xs = x_low + dx * (torch.arange(resolution, dtype=torch.float64) + 0.5)  # (res,)
    ys = y_low + dy * (torch.arange(resolution, dtype=torch.float64) + 0.5)  # (res,)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # (res, res): row i is y_i, column j is x_j
    return xx.float(), yy.float(), dx * dy


def _evaluate_on_grid(model_or_fn, xx, yy):
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (res^2, 2)
    with LogProbEvaluator(model_or_fn, exact=True) as log_prob_fn:
        log_p = torch.cat([log_prob_fn(points[start:start + _GRID_BATCH_SIZE]).detach().cpu()
                           for start in range(0, len(points), _GRID_BATCH_SIZE)])
    return log_p.reshape(xx.shape)


def grid_log_prob(model_or_fn, bounds, resolution=200):
    """Evaluate log p on the cell centres of a ``resolution x resolution`` grid over ``bounds``.

    Args:
        model_or_fn: an object with ``log_prob`` or a function x (B, 2) -> log p (B,).
        bounds: ((x_min, x_max), (y_min, y_max)).
        resolution: number of cells along each axis.

    Returns:
        (xx, yy, log_p), float32 CPU tensors of shape (res, res); entry [i, j] is the point
        (xx[i, j], yy[i, j]) = (x_j, y_i), so ``imshow(log_p, origin="lower", extent=(x_min, x_max,
        y_min, y_max))`` and ``pcolormesh(xx, yy, log_p)`` both draw it the right way up.
    """
    xx, yy, _ = _grid_points(bounds, resolution)
    return xx, yy, _evaluate_on_grid(model_or_fn, xx, yy)


def grid_integral(model_or_fn, bounds, resolution=400):
    """Midpoint Riemann sum of p = exp(log p) over the box: sum_ij p(x_j, y_i) dx dy.

    For a normalized density whose mass lies inside the box this is ~1 (a check of normalization).
    Points where log p = -inf contribute 0.
    """
    xx, yy, cell_area = _grid_points(bounds, resolution)
    log_p = _evaluate_on_grid(model_or_fn, xx, yy)
    return float(torch.exp(log_p.double()).sum()) * cell_area

