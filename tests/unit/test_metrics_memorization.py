"""Tests of dgm_utils.metrics.memorization: nearest training examples, and the copy fraction against held-out data."""

import pytest
import torch

from dgm_utils import metrics


def _points(n, d=4, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_nearest_neighbours_match_a_brute_force_search():
    queries, reference = _points(50, seed=1), _points(2000, seed=2)  # 2000 rows: more than one chunk of cdist
    result = metrics.nearest_neighbours(queries, reference)
    brute = ((queries[:, None, :] - reference[None, :, :]) ** 2).sum(-1).sqrt()  # (50, 2000)
    assert torch.equal(result.indices, brute.argmin(dim=1))
    torch.testing.assert_close(result.distances, brute.min(dim=1).values)
    assert result.distances.dtype == torch.float64 and result.indices.dtype == torch.int64


def test_a_copy_is_at_distance_zero_from_its_original():
    reference = _points(30, seed=3)
    order = torch.tensor([7, 0, 29, 7])
    result = metrics.nearest_neighbours(reference[order].float(), reference)
    assert torch.equal(result.indices, order)
    assert float(result.distances.max()) < 1e-6


def test_a_copying_model_is_flagged_and_new_data_is_not():
    train, held_out = _points(500, seed=4), _points(400, seed=5)
    copies = train[torch.randint(500, (300,), generator=torch.Generator().manual_seed(6))]
    copied = metrics.memorization_report(copies + 1e-3, train, held_out)
    assert copied.copy_fraction == 1.0 and copied.median_sample < 0.01 * copied.median_held_out
    fresh = metrics.memorization_report(_points(2000, seed=7), train, held_out, quantile=0.1)
    # new draws of the same distribution: about 10% fall below the held-out 10% quantile
    assert 0.06 < fresh.copy_fraction < 0.14
    assert fresh.median_sample == pytest.approx(fresh.median_held_out, rel=0.1)
    assert fresh.threshold == pytest.approx(float(torch.quantile(fresh.held_out_distances, 0.1)))
    assert fresh.sample_distances.shape == (2000,) and fresh.held_out_distances.shape == (400,)


def test_a_half_copying_model_has_a_copy_fraction_near_one_half():
    train, held_out = _points(500, seed=8), _points(400, seed=9)
    half = torch.cat([train[:200], _points(200, seed=10)])
    report = metrics.memorization_report(half, train, held_out)
    assert 0.45 < report.copy_fraction < 0.6
    assert torch.equal(report.sample_indices[:200], torch.arange(200))


@pytest.mark.parametrize("queries, reference, error, match", [
    ([[0.0, 1.0]], torch.zeros(3, 2), TypeError, "queries must be a torch.Tensor"),
    (torch.zeros(2, 2, dtype=torch.long), torch.zeros(3, 2), TypeError, "floating-point"),
    (torch.zeros(2, 3), torch.zeros(3, 2), ValueError, r"queries must have shape \(N, 2\)"),
    (torch.zeros(2, 2), torch.zeros(0, 2), ValueError, "reference needs at least 1 rows"),
    (torch.zeros(2, 2), torch.zeros(3), ValueError, "reference must have shape"),
    (torch.tensor([[float("nan"), 0.0]]), torch.zeros(3, 2), ValueError, "queries must be finite"),
])
def test_nearest_neighbours_rejects_bad_input(queries, reference, error, match):
    with pytest.raises(error, match=match):
        metrics.nearest_neighbours(queries, reference)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(quantile=0.0), ValueError, "quantile"),
    (dict(quantile=1.0), ValueError, r"quantile must be in \(0, 1\)"),
    (dict(held_out=torch.zeros(1, 4)), ValueError, "held_out needs at least 2 rows"),
    (dict(train=torch.zeros(5, 3)), ValueError, r"queries must have shape \(N, 3\)"),
])
def test_memorization_report_rejects_bad_input(kwargs, error, match):
    arguments = dict(samples=_points(10), train=_points(20, seed=1), held_out=_points(10, seed=2))
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        metrics.memorization_report(arguments.pop("samples"), arguments.pop("train"), arguments.pop("held_out"),
                                    **arguments)
