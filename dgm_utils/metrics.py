"""Metrics for generative models: likelihoods, the gap to the true entropy, two-sample tests, grids.

Likelihood
    ``nll`` and ``evaluate_nll`` give the mean negative log-likelihood in nats per example;
    ``bits_per_dim`` rescales it to bits per dimension, NLL / (D ln 2), the unit of the literature.

Distance to the truth on toys
    For a toy p with exact density (``dgm_utils.data``), NLL(q) - H(p) = KL(p || q) (``kl_gap``).

Samples only (implicit models)
    ``mmd2`` is the unbiased estimate of the squared maximum mean discrepancy with a Gaussian kernel
    (Gretton et al. 2012), ``mmd_permutation_test`` turns it into a two-sample test.

Grids (2-D densities)
    ``grid_log_prob`` evaluates a density on the cell centres of a grid over a box (for heat maps),
    ``grid_integral`` integrates it (a normalized density gives ~1: a check of normalization).

Everything that takes a model accepts an object with a ``log_prob(x) -> (N,)`` method (an
``nn.Module`` is put in eval mode for the evaluation and restored afterwards) or a plain function
``x -> log p(x)``; evaluation runs without gradients, in batches, on the model's device.
"""

import math

import torch
from torch import nn

__all__ = [
    "nll",
    "bits_per_dim",
    "evaluate_nll",
    "kl_gap",
    "mmd2",
    "mmd_permutation_test",
    "grid_log_prob",
    "grid_integral",
]

# pairwise distances for the median heuristic are computed on at most this many pooled points
_MEDIAN_HEURISTIC_MAX_POINTS = 2000
# batch size when a grid of points is evaluated
_GRID_BATCH_SIZE = 16_384


def _check_real(value, name):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")


def _check_points(x, name, dim=None, min_rows=1):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, D), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (N, D), got {tuple(x.shape)}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns like the other sample, got shape {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got shape {tuple(x.shape)}")


def _check_bounds(bounds):
    try:
        (x_low, x_high), (y_low, y_high) = bounds
        x_low, x_high, y_low, y_high = (float(v) for v in (x_low, x_high, y_low, y_high))
    except (TypeError, ValueError):
        raise TypeError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (x_low, x_high, y_low, y_high)) or x_low >= x_high or y_low >= y_high:
        raise ValueError(f"bounds must be finite with min < max on both axes, got {bounds!r}")
    return (x_low, x_high), (y_low, y_high)


class _LogProbEvaluator:
    """Context manager giving a no-grad function x -> log p(x) (N,) for a model or a function."""

    def __init__(self, model_or_fn):
        if hasattr(model_or_fn, "log_prob") and callable(model_or_fn.log_prob):
            self.function = model_or_fn.log_prob
        elif isinstance(model_or_fn, nn.Module):
            raise TypeError(f"the model {type(model_or_fn).__name__} has no log_prob method; "
                            "pass a model with log_prob(x) -> (N,) or a function x -> log p(x)")
        elif callable(model_or_fn):
            self.function = model_or_fn
        else:
            raise TypeError(f"expected a model with a log_prob method or a function x -> log p(x), "
                            f"got {type(model_or_fn).__name__}")
        self.module = model_or_fn if isinstance(model_or_fn, nn.Module) else None
        self.device = None
        if self.module is not None:
            tensors = list(self.module.parameters()) or list(self.module.buffers())
            self.device = tensors[0].device if tensors else None

    def __enter__(self):
        self.was_training = self.module is not None and self.module.training
        if self.was_training:
            self.module.eval()
        self.no_grad = torch.no_grad()
        self.no_grad.__enter__()
        return self

    def __exit__(self, *exc_info):
        self.no_grad.__exit__(*exc_info)
        if self.was_training:
            self.module.train()
        return False

    def __call__(self, x):
        if self.device is not None:
            x = x.to(self.device)
        log_p = self.function(x)
        if not isinstance(log_p, torch.Tensor) or log_p.shape != (x.shape[0],):
            shape = tuple(log_p.shape) if isinstance(log_p, torch.Tensor) else type(log_p).__name__
            raise ValueError(f"log_prob must return a tensor of shape ({x.shape[0]},) for {x.shape[0]} inputs, "
                             f"got {shape}")
        return log_p


def nll(log_prob):
    """Mean negative log-likelihood -1/N sum_i log p(x_i) in nats per example.

    Args:
        log_prob: log p(x_i) of N examples, shape (N,).
    """
    if not isinstance(log_prob, torch.Tensor):
        raise TypeError(f"log_prob must be a torch.Tensor of shape (N,), got {type(log_prob).__name__}")
    if not log_prob.is_floating_point():
        raise TypeError(f"log_prob must be a floating-point tensor, got dtype {log_prob.dtype}")
    if log_prob.dim() != 1 or log_prob.numel() == 0:
        raise ValueError(f"log_prob must have shape (N,) with N >= 1, got {tuple(log_prob.shape)}")
    return float(-log_prob.detach().double().mean())


def bits_per_dim(nll_nats, num_dims):
    """Convert an NLL in nats per example to bits per dimension: nll / (num_dims * ln 2)."""
    nll_nats = _check_real(nll_nats, "nll_nats")
    _check_positive_int(num_dims, "num_dims")
    return nll_nats / (num_dims * math.log(2.0))


def evaluate_nll(model_or_fn, x, batch_size=1024):
    """Mean NLL in nats per example of a model on data ``x`` (N, ...), in batches and without gradients.

    Args:
        model_or_fn: an object with ``log_prob(x) -> (B,)`` or a function with that signature.
        x: the data, a tensor whose first axis indexes examples.
        batch_size: number of examples per call.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 1 or x.shape[0] == 0:
        raise ValueError(f"x must hold at least one example along its first axis, got shape {tuple(x.shape)}")
    _check_positive_int(batch_size, "batch_size")
    total = 0.0
    with _LogProbEvaluator(model_or_fn) as log_prob_fn:
        for start in range(0, x.shape[0], batch_size):
            total += float(log_prob_fn(x[start:start + batch_size]).double().sum())
    return -total / x.shape[0]


def kl_gap(model_or_fn, toy, num_samples=50_000, seed=0):
    """NLL of a model on fresh samples of a toy minus the toy's entropy: an estimate of KL(p || model).

        NLL(q) - H(p) = E_p[-log q(x)] + E_p[log p(x)] = KL(p || q) >= 0.

    The NLL is estimated on ``num_samples`` samples drawn with a generator seeded by ``seed``; its
    Monte Carlo error is std(log q) / sqrt(num_samples) (plus that of ``toy.entropy()`` when the
    toy's entropy has no closed form), so small negative values are possible for a near-perfect model.
    """
    from dgm_utils.data import ToyDistribution

    if not isinstance(toy, ToyDistribution):
        raise TypeError(f"toy must be a dgm_utils.data.ToyDistribution, got {type(toy).__name__}")
    _check_positive_int(num_samples, "num_samples")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    x = toy.sample(num_samples, generator=torch.Generator().manual_seed(seed))  # (n, 2)
    return evaluate_nll(model_or_fn, x) - toy.entropy()


def _median_bandwidth(z):
    """Median pairwise Euclidean distance between distinct rows of z (M, D) (at most the first 2000)."""
    z = z.detach()
    if len(z) > _MEDIAN_HEURISTIC_MAX_POINTS:
        step = len(z) / _MEDIAN_HEURISTIC_MAX_POINTS
        z = z[(torch.arange(_MEDIAN_HEURISTIC_MAX_POINTS) * step).long()]  # evenly spread subset
    rows, columns = torch.triu_indices(len(z), len(z), offset=1)
    distances = torch.cdist(z, z)[rows, columns]  # (M (M - 1) / 2,)
    median = float(distances.median())
    if not median > 0:
        raise ValueError("median heuristic failed: the median pairwise distance is 0; pass a bandwidth")
    return median


def _gaussian_kernel(a, b, bandwidth):
    """k(a_i, b_j) = exp(-||a_i - b_j||^2 / (2 bandwidth^2)), shape (N, M)."""
    return torch.exp(-torch.cdist(a, b).pow(2) / (2.0 * bandwidth**2))


def _resolve_bandwidth(x, y, bandwidth):
    if bandwidth is None:
        return _median_bandwidth(torch.cat([x, y]))
    bandwidth = _check_real(bandwidth, "bandwidth")
    if not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be a positive finite number or None, got {bandwidth!r}")
    return bandwidth


def mmd2(x, y, bandwidth=None):
    """Unbiased estimate of the squared MMD between the distributions of samples x (N, D) and y (M, D).

        MMD^2 = 1/(N(N-1)) sum_{i != j} k(x_i, x_j) + 1/(M(M-1)) sum_{i != j} k(y_i, y_j)
                - 2/(N M) sum_{i, j} k(x_i, y_j),

    with the Gaussian kernel k(a, b) = exp(-||a - b||^2 / (2 h^2)). When ``bandwidth`` is None, h is the
    median pairwise distance of the pooled sample (the median heuristic). The estimate has mean
    MMD^2 >= 0 (zero iff the distributions are equal) but can be slightly negative. Returns a 0-d
    tensor, differentiable with respect to x and y (the bandwidth is treated as a constant).
    """
    _check_points(x, "x", min_rows=2)
    _check_points(y, "y", dim=x.shape[1], min_rows=2)
    bandwidth = _resolve_bandwidth(x, y, bandwidth)
    n, m = len(x), len(y)
    kernel_xx = _gaussian_kernel(x, x, bandwidth)  # (N, N)
    kernel_yy = _gaussian_kernel(y, y, bandwidth)  # (M, M)
    kernel_xy = _gaussian_kernel(x, y, bandwidth)  # (N, M)
    # the diagonals hold k(a, a) = 1 exactly
    within_x = (kernel_xx.sum() - n) / (n * (n - 1))
    within_y = (kernel_yy.sum() - m) / (m * (m - 1))
    return within_x + within_y - 2.0 * kernel_xy.mean()


def mmd_permutation_test(x, y, num_permutations=200, bandwidth=None, generator=None):
    """Two-sample test of H0: x and y come from the same distribution, with the MMD^2 statistic.

    Under H0 the pooled sample is exchangeable, so the statistic on random relabelings of the pooled
    points into groups of sizes N and M shows its null distribution. The p-value counts the observed
    statistic as one of the relabelings, p = (1 + #{perm >= observed}) / (1 + num_permutations), so it is
    never 0 and is valid (P(p <= a) <= a under H0). The bandwidth (median heuristic by default) is
    computed once on the pooled sample, which relabeling leaves unchanged.

    Returns:
        (mmd2, p_value) as floats.
    """
    _check_points(x, "x", min_rows=2)
    _check_points(y, "y", dim=x.shape[1], min_rows=2)
    _check_positive_int(num_permutations, "num_permutations")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    with torch.no_grad():
        bandwidth = _resolve_bandwidth(x, y, bandwidth)
        n, m = len(x), len(y)
        pooled = torch.cat([x, y]).double()  # (N + M, D)
        kernel = _gaussian_kernel(pooled, pooled, bandwidth)  # (N + M, N + M)
        kernel.fill_diagonal_(0.0)  # the unbiased estimate leaves out the pairs i == j

        # Row 0 is the observed labeling; each row marks which pooled points form the first group.
        orders = [torch.arange(n + m)] + [torch.randperm(n + m, generator=generator) for _ in range(num_permutations)]
        in_x = torch.zeros(num_permutations + 1, n + m, dtype=torch.float64)  # (P + 1, N + M)
        in_x.scatter_(1, torch.stack(orders)[:, :n], 1.0)
        in_y = 1.0 - in_x
        kernel_in_x = in_x @ kernel  # (P + 1, N + M), row p: sum over first-group points of k(., j)
        sum_xx = (kernel_in_x * in_x).sum(1)  # (P + 1,)
        sum_xy = (kernel_in_x * in_y).sum(1)
        sum_yy = ((in_y @ kernel) * in_y).sum(1)
        statistics = sum_xx / (n * (n - 1)) + sum_yy / (m * (m - 1)) - 2.0 * sum_xy / (n * m)  # (P + 1,)
    observed = statistics[0]
    # the observed value is compared with a relative slack so float rounding cannot make ties miss
    exceed = int((statistics[1:] >= observed - 1e-12 * max(1.0, abs(float(observed)))).sum())
    p_value = (1 + exceed) / (1 + num_permutations)
    return float(observed), p_value


def _grid_points(bounds, resolution):
    """Cell centres of a resolution x resolution grid over the box: xx, yy (res, res) and cell area."""
    (x_low, x_high), (y_low, y_high) = _check_bounds(bounds)
    _check_positive_int(resolution, "resolution")
    dx = (x_high - x_low) / resolution
    dy = (y_high - y_low) / resolution
    xs = x_low + dx * (torch.arange(resolution, dtype=torch.float64) + 0.5)  # (res,)
    ys = y_low + dy * (torch.arange(resolution, dtype=torch.float64) + 0.5)  # (res,)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")  # (res, res): row i is y_i, column j is x_j
    return xx.float(), yy.float(), dx * dy


def _evaluate_on_grid(model_or_fn, xx, yy):
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (res^2, 2)
    with _LogProbEvaluator(model_or_fn) as log_prob_fn:
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
