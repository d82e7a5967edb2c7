"""Does a model copy its training set? Nearest training examples of samples against those of held-out data (chapter 6b).

A model that has learned the distribution draws new examples: their distance to the nearest training example is
about that of held-out examples, which the model has never seen. A model that memorized its training set returns
(near) copies: distances near 0, far below the held-out ones. Small training sets (the 1000 training digits) make
this a real risk for diffusion models, whose optimal denoiser on a finite set reproduces the training points.

* :func:`nearest_neighbours`: the Euclidean distance of each query to its nearest reference row, and that row's index;
* :func:`memorization_report`: the distances of samples and of held-out examples to the training set, their medians,
  and the **copy fraction**: the fraction of samples nearer to a training example than the ``quantile``-quantile of the
  held-out distances. Samples that behave like new data give about ``quantile``; a copying model gives about 1.

Distances are on whatever features are passed (raw pixels here); ``torch.cdist`` in float64, in chunks of rows.
"""

from typing import NamedTuple

import torch

from dgm_utils._validation import check_number, check_points

__all__ = ["NearestNeighbours", "MemorizationReport", "nearest_neighbours", "memorization_report",
           "DEFAULT_COPY_QUANTILE"]

#: The held-out quantile below which a sample counts as "closer to the training set than new data is".
DEFAULT_COPY_QUANTILE = 0.05
_CHUNK = 1024


class NearestNeighbours(NamedTuple):
    """distances (N,) float64: ||x_i - reference[indices[i]]||; indices (N,) int64 into the reference rows."""
    distances: torch.Tensor
    indices: torch.Tensor


class MemorizationReport(NamedTuple):
    """The result of :func:`memorization_report` (distances to the nearest training example, float64)."""
    sample_distances: torch.Tensor  # (N,)
    sample_indices: torch.Tensor  # (N,) index of each sample's nearest training example
    held_out_distances: torch.Tensor  # (M,)
    median_sample: float
    median_held_out: float
    threshold: float  # the quantile of the held-out distances
    copy_fraction: float  # fraction of samples with a distance below threshold
    quantile: float


def _finite_double(x, name, dim=None):
    check_points(x, name, dim=dim, min_rows=1)
    x = x.detach().double()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite (no nan or inf)")
    return x


def nearest_neighbours(queries, reference):
    """For each row of ``queries`` (N, D), the nearest row of ``reference`` (M, D), M >= 1, in Euclidean distance.

    Returns a :class:`NearestNeighbours` (distances (N,) float64, indices (N,) int64); ties go to the lowest index.
    """
    reference = _finite_double(reference, "reference")
    queries = _finite_double(queries, "queries", dim=reference.shape[1]).to(reference.device)
    distances, indices = [], []
    for chunk in queries.split(_CHUNK):
        nearest = torch.cdist(chunk, reference).min(dim=1)  # (chunk,)
        distances.append(nearest.values)
        indices.append(nearest.indices)
    return NearestNeighbours(torch.cat(distances), torch.cat(indices))


def memorization_report(samples, train, held_out, *, quantile=DEFAULT_COPY_QUANTILE):
    """Nearest training examples of ``samples`` (N, D) against those of ``held_out`` examples (M, D), M >= 2.

    Args:
        samples: the model's samples (N, D), on the scale of ``train``.
        train: the training set (K, D) the model saw.
        held_out: real examples the model never saw (M, D), e.g. the test split: their distances to ``train`` are
            what "new data" looks like.
        quantile: in (0, 1); a sample is a likely copy when it is nearer to ``train`` than this quantile of the
            held-out distances.

    Returns:
        a :class:`MemorizationReport`; ``copy_fraction`` is about ``quantile`` for samples as new as held-out data,
        near 1 for a model that returns its training examples.
    """
    q = check_number(quantile, "quantile")
    if q >= 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
    check_points(held_out, "held_out", min_rows=2)
    samples_nn = nearest_neighbours(samples, train)
    held_out_nn = nearest_neighbours(held_out, train)
    threshold = float(torch.quantile(held_out_nn.distances, q))
    return MemorizationReport(
        sample_distances=samples_nn.distances, sample_indices=samples_nn.indices,
        held_out_distances=held_out_nn.distances, median_sample=float(samples_nn.distances.median()),
        median_held_out=float(held_out_nn.distances.median()), threshold=threshold,
        copy_fraction=float((samples_nn.distances < threshold).double().mean()), quantile=q)
