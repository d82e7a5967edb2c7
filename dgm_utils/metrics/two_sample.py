"""Two-sample statistics for models known only through their samples: the squared maximum mean discrepancy with a
Gaussian kernel (Gretton et al. 2012) and its permutation test (chapter 4 and every later unit)."""

import math

import torch

from dgm_utils._validation import check_generator, check_points, check_positive_int, check_real

__all__ = ["mmd2", "mmd_permutation_test"]

# pairwise distances for the median heuristic are computed on at most this many pooled points
_MEDIAN_HEURISTIC_MAX_POINTS = 2000


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
    bandwidth = check_real(bandwidth, "bandwidth")
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
    check_points(x, "x", min_rows=2)
    check_points(y, "y", dim=x.shape[1], min_rows=2)
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
    check_points(x, "x", min_rows=2)
    check_points(y, "y", dim=x.shape[1], min_rows=2)
    check_positive_int(num_permutations, "num_permutations")
    check_generator(generator)
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
