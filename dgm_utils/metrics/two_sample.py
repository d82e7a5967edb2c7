"""Two-sample statistics for models known only through their samples: the squared maximum mean discrepancy with a
Gaussian kernel (Gretton et al. 2012), unbiased or biased, at one bandwidth or summed over several, and its
permutation test (chapter 4 and every later unit).

The public functions share private implementations rather than calling each other, so an assignment that
blocks ``mmd2`` leaves ``mmd2_multiscale`` and ``mmd_permutation_test`` working (``sample_metrics`` does call
``mmd2``).
"""

import math

import torch

from dgm_utils._validation import check_generator, check_int, check_points, check_positive_int, check_real

__all__ = ["MULTISCALE_FACTORS", "median_bandwidth", "multiscale_bandwidths", "mmd2", "mmd2_multiscale",
           "mmd2_floor", "mmd_permutation_test"]

# pairwise distances for the median heuristic are computed on at most this many pooled points
_MEDIAN_HEURISTIC_MAX_POINTS = 2000
#: The default multi-scale kernel sums Gaussian kernels at these multiples of the median heuristic bandwidth:
#: two octaves below and above it, so a bandwidth off by a factor of 4 either way is still covered.
MULTISCALE_FACTORS = (0.25, 0.5, 1.0, 2.0, 4.0)


def _median_distance(z):
    """Median pairwise Euclidean distance between distinct rows of z (M, D) (at most 2000 evenly spread rows)."""
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


def _check_pair(x, y):
    check_points(x, "x", min_rows=2)
    check_points(y, "y", dim=x.shape[1], min_rows=2)


def median_bandwidth(x, y=None):
    """The median heuristic: the median Euclidean distance between distinct points of the pooled sample.

    Args:
        x: points (N, D); y: points (M, D) or None (then the median is taken over x alone, e.g. to fix one
            bandwidth from a reference set and score several models with it).

    Returns:
        h as a float (torch's median: the lower of the two middle values). At most 2000 evenly spread pooled
        points are used. Raises ValueError when the median distance is 0 (more than half the pairs coincide).
    """
    if y is None:
        check_points(x, "x", min_rows=2)
        return _median_distance(x)
    _check_pair(x, y)
    return _median_distance(torch.cat([x, y]))


def multiscale_bandwidths(x, y=None, *, factors=MULTISCALE_FACTORS):
    """The default bandwidths of the multi-scale kernel: ``median_bandwidth(x, y)`` times each of ``factors``."""
    factors = _check_bandwidths(factors, "factors")
    median = median_bandwidth(x, y)
    return tuple(median * factor for factor in factors)


def _check_bandwidth(bandwidth, name="bandwidth"):
    bandwidth = check_real(bandwidth, name)
    if not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"{name} must be a positive finite number, got {bandwidth!r}")
    return bandwidth


def _check_bandwidths(bandwidths, name="bandwidths"):
    if isinstance(bandwidths, (str, bytes)) or not hasattr(bandwidths, "__iter__"):
        raise TypeError(f"{name} must be a sequence of positive numbers, got {type(bandwidths).__name__}")
    bandwidths = tuple(_check_bandwidth(value, f"every entry of {name}") for value in bandwidths)
    if not bandwidths:
        raise ValueError(f"{name} must hold at least one bandwidth, got an empty sequence")
    return bandwidths


def _resolve_bandwidths(x, y, bandwidth=None, bandwidths=None, *, multiscale=False):
    """The tuple of kernel bandwidths: given ones, else the median heuristic (times the factors if multiscale)."""
    if bandwidth is not None and bandwidths is not None:
        raise ValueError("pass either bandwidth (one Gaussian kernel) or bandwidths (a sum of them), not both")
    if bandwidths is not None:
        return _check_bandwidths(bandwidths)
    if bandwidth is not None:
        return (_check_bandwidth(bandwidth),)
    median = _median_distance(torch.cat([x, y]))
    return tuple(median * factor for factor in MULTISCALE_FACTORS) if multiscale else (median,)


def _kernel(a, b, bandwidths):
    """k(a_i, b_j) = sum_s exp(-||a_i - b_j||^2 / (2 h_s^2)), shape (N, M); the diagonal of k(a, a) is S."""
    squared_distances = torch.cdist(a, b).pow(2)  # (N, M)
    return sum(torch.exp(-squared_distances / (2.0 * h**2)) for h in bandwidths)


def _mmd2(x, y, bandwidths, biased):
    n, m = len(x), len(y)
    kernel_xx = _kernel(x, x, bandwidths)  # (N, N)
    kernel_yy = _kernel(y, y, bandwidths)  # (M, M)
    kernel_xy = _kernel(x, y, bandwidths)  # (N, M)
    if biased:
        return kernel_xx.mean() + kernel_yy.mean() - 2.0 * kernel_xy.mean()
    # the diagonals hold k(a, a) = number of scales exactly
    diagonal = float(len(bandwidths))
    within_x = (kernel_xx.sum() - diagonal * n) / (n * (n - 1))
    within_y = (kernel_yy.sum() - diagonal * m) / (m * (m - 1))
    return within_x + within_y - 2.0 * kernel_xy.mean()


def mmd2(x, y, bandwidth=None, *, biased=False):
    """Estimate of the squared MMD between the distributions of samples x (N, D) and y (M, D).

    Unbiased (the U-statistic, the default):

        MMD^2_u = 1/(N(N-1)) sum_{i != j} k(x_i, x_j) + 1/(M(M-1)) sum_{i != j} k(y_i, y_j)
                  - 2/(N M) sum_{i, j} k(x_i, y_j);

    biased (``biased=True``, the V-statistic, diagonal included):

        MMD^2_b = 1/N^2 sum_{i, j} k(x_i, x_j) + 1/M^2 sum_{i, j} k(y_i, y_j) - 2/(N M) sum_{i, j} k(x_i, y_j),

    with the Gaussian kernel k(a, b) = exp(-||a - b||^2 / (2 h^2)). When ``bandwidth`` is None, h is the
    median pairwise distance of the pooled sample (the median heuristic, :func:`median_bandwidth`). The
    unbiased estimate has mean MMD^2 >= 0 (zero iff the distributions are equal) but can be slightly negative;
    the biased one is >= 0 and exceeds it by (1 - mean_{i != j} k(x_i, x_j)) / N + (same for y) / M >= 0.
    Returns a 0-d tensor, differentiable with respect to x and y (the bandwidth is treated as a constant).
    """
    _check_pair(x, y)
    return _mmd2(x, y, _resolve_bandwidths(x, y, bandwidth), bool(biased))


def mmd2_multiscale(x, y, bandwidths=None, *, biased=False):
    """MMD^2 with the multi-scale kernel k(a, b) = sum_s exp(-||a - b||^2 / (2 h_s^2)), x (N, D), y (M, D).

    The estimate is linear in the kernel, so it equals the sum of :func:`mmd2` over the bandwidths h_s.
    A sum of characteristic kernels is characteristic, and no single bandwidth has to be right: a small h_s
    sees fine structure (a widened mode), a large one coarse structure (a dropped mode). When ``bandwidths``
    is None they are the median heuristic times ``MULTISCALE_FACTORS`` = (0.25, 0.5, 1, 2, 4)
    (:func:`multiscale_bandwidths`). ``biased`` as in :func:`mmd2`. Returns a differentiable 0-d tensor.
    """
    _check_pair(x, y)
    bandwidths = _resolve_bandwidths(x, y, bandwidths=bandwidths, multiscale=True)
    return _mmd2(x, y, bandwidths, bool(biased))


def mmd2_floor(toy, reference, *, repeats=10, seed=100):
    """The floor of :func:`mmd2` against ``reference`` (M, D): (mean, std) over ``repeats`` fresh exact samples.

    Sample i is ``toy.sample(M, generator=torch.Generator().manual_seed(seed + i))`` (``toy``: anything with that
    ``sample`` method, e.g. a ``dgm_utils.data`` toy), scored by the unbiased MMD^2 with the median-heuristic
    bandwidth of each pair. An exact sampler scores mean +- std, so a model is as good as exact sampling, as far as
    the test can see, when its MMD^2 is within about two standard deviations of the mean (chapters 6a and 6b).
    """
    if not callable(getattr(toy, "sample", None)):
        raise TypeError(f"toy must have a sample(num_samples, generator=...) method, got {type(toy).__name__}")
    check_points(reference, "reference", min_rows=2)
    check_positive_int(repeats, "repeats")
    if repeats < 2:
        raise ValueError(f"repeats must be at least 2 (the floor has a standard deviation), got {repeats}")
    check_int(seed, "seed")
    values = []
    with torch.no_grad():
        for i in range(repeats):
            sample = toy.sample(len(reference), generator=torch.Generator().manual_seed(seed + i))
            _check_pair(sample, reference)
            values.append(float(_mmd2(sample, reference, _resolve_bandwidths(sample, reference, None), False)))
    values = torch.tensor(values)
    return float(values.mean()), float(values.std())


def mmd_permutation_test(x, y, num_permutations=200, bandwidth=None, generator=None, *, bandwidths=None):
    """Two-sample test of H0: x and y come from the same distribution, with the unbiased MMD^2 statistic.

    Under H0 the pooled sample is exchangeable, so the statistic on random relabelings of the pooled
    points into groups of sizes N and M shows its null distribution. The p-value counts the observed
    statistic as one of the relabelings, p = (1 + #{perm >= observed}) / (1 + num_permutations), so it is
    never 0 and is valid (P(p <= a) <= a under H0). The kernel is a Gaussian of ``bandwidth`` (median
    heuristic by default) or, with ``bandwidths`` (a sequence, e.g. ``multiscale_bandwidths(x, y)``), the
    multi-scale sum of :func:`mmd2_multiscale`; the bandwidths are fixed once on the pooled sample, which
    relabeling leaves unchanged.

    Returns:
        (mmd2, p_value) as floats.
    """
    _check_pair(x, y)
    check_positive_int(num_permutations, "num_permutations")
    check_generator(generator)
    with torch.no_grad():
        bandwidths = _resolve_bandwidths(x, y, bandwidth, bandwidths)
        n, m = len(x), len(y)
        pooled = torch.cat([x, y]).double()  # (N + M, D)
        kernel = _kernel(pooled, pooled, bandwidths)  # (N + M, N + M)
        kernel.fill_diagonal_(0.0)  # the unbiased estimate leaves out the pairs i == j

        # Row 0 is the observed labeling; each row marks which pooled points form the first group.
        orders = [torch.arange(n + m)] + [torch.randperm(n + m, generator=generator) for _ in range(num_permutations)]
        in_x = torch.zeros(num_permutations + 1, n + m, dtype=torch.float64)  # (P + 1, N + M)
        in_x.scatter_(1, torch.stack(orders)[:, :n], 1.0)
        in_x = in_x.to(kernel.device)
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
