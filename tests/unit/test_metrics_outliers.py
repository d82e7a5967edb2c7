"""Outlier scores corrected for input complexity (dgm_utils.metrics.outliers, chapter 8b): likelihood ratios against a
background model, the zlib complexity correction and the typicality test."""

import math
import zlib

import pytest
import torch

from dgm_utils import metrics


def test_the_likelihood_ratio_is_the_difference_of_log_densities():
    log_prob = torch.tensor([-10.0, -50.0, -3.0])
    background = torch.tensor([-12.0, -20.0, -3.5])
    scores = metrics.likelihood_ratio_scores(log_prob, background)
    assert scores.dtype == torch.float64
    assert torch.allclose(scores, torch.tensor([-2.0, 30.0, -0.5], dtype=torch.float64))
    # what both models share cancels: adding the same c(x) to both log-densities changes nothing
    shared = torch.tensor([100.0, -7.0, 3.0])
    assert torch.allclose(metrics.likelihood_ratio_scores(log_prob + shared, background + shared), scores)


def test_perturb_levels_replaces_the_expected_fraction_with_uniform_levels():
    x = torch.full((400, 64), 3, dtype=torch.long)
    y = metrics.perturb_levels(x, 0.3, 17, generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape and y.dtype == x.dtype and torch.equal(x, torch.full_like(x, 3))  # a new tensor
    changed = (y != 3).double().mean().item()
    # a replaced entry keeps the level 3 with probability 1/17: P(changed) = 0.3 * 16 / 17
    assert abs(changed - 0.3 * 16 / 17) < 0.01
    assert int(y.min()) >= 0 and int(y.max()) <= 16 and len(y.unique()) == 17
    assert torch.equal(metrics.perturb_levels(x, 0.0, 17), x)
    floats = metrics.perturb_levels(x.float(), 1.0, 17, generator=torch.Generator().manual_seed(1))
    assert floats.dtype == torch.float32 and torch.equal(floats, floats.round())
    again = metrics.perturb_levels(x, 0.3, 17, generator=torch.Generator().manual_seed(0))
    assert torch.equal(y, again)


def test_compression_bits_is_zlib_length_and_orders_by_complexity():
    blank = torch.zeros(1, 64, dtype=torch.long)
    noise = torch.randint(17, (1, 64), generator=torch.Generator().manual_seed(0))
    bits = metrics.compression_bits(torch.cat([blank, noise]), 17)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    expected = 8 * len(compressor.compress(bytes(noise[0].tolist())) + compressor.flush())
    assert bits.dtype == torch.float64 and bits[1].item() == expected
    assert bits[0] < 100 < bits[1], "a constant image compresses to a few bytes, noise hardly at all"
    assert torch.equal(metrics.compression_bits(noise.float(), 17), bits[1:])


def test_the_complexity_correction_subtracts_the_code_length_in_bits():
    log_prob = torch.tensor([-math.log(2.0) * 100, -math.log(2.0) * 40])  # 100 and 40 bits under the model
    scores = metrics.complexity_corrected_scores(log_prob, torch.tensor([120.0, 16.0]))
    assert torch.allclose(scores, torch.tensor([-20.0, 24.0], dtype=torch.float64))


def test_the_typicality_statistic_flags_both_too_high_and_too_low_likelihood():
    log_prob = torch.tensor([-10.0, -12.0, -2.0, -4.0, -30.0, -30.0, -11.0])
    single = metrics.typicality_scores(log_prob, 11.0)
    assert torch.allclose(single, torch.tensor([1.0, 1.0, 9.0, 7.0, 19.0, 19.0, 0.0], dtype=torch.float64))
    pairs = metrics.typicality_scores(log_prob, 11.0, batch_size=2)  # the 7th input is left out
    assert torch.allclose(pairs, torch.tensor([0.0, 8.0, 19.0], dtype=torch.float64))


def test_the_typicality_threshold_has_its_false_alarm_rate():
    generator = torch.Generator().manual_seed(0)
    reference = -torch.randn(5000, generator=generator) * 2.0 - 50.0  # -log p ~ N(50, 2^2)
    for batch_size in (1, 4):
        eps = metrics.typicality_threshold(reference, 50.0, batch_size, alpha=0.05, num_bootstrap=4000,
                                           generator=torch.Generator().manual_seed(1))
        # the mean of M draws has standard deviation 2 / sqrt(M): |mean - 50| > eps with probability 0.05
        assert abs(eps - 1.96 * 2.0 / math.sqrt(batch_size)) < 0.1 * 2.0 / math.sqrt(batch_size)
        fresh = -torch.randn(4000 * batch_size, generator=generator) * 2.0 - 50.0
        flagged = (metrics.typicality_scores(fresh, 50.0, batch_size) > eps).double().mean().item()
        assert abs(flagged - 0.05) < 0.015


@pytest.mark.parametrize("call, error, match", [
    (lambda: metrics.likelihood_ratio_scores([1.0], torch.ones(1)), TypeError, "log_prob"),
    (lambda: metrics.likelihood_ratio_scores(torch.ones(3), torch.ones(2)), ValueError, "same inputs"),
    (lambda: metrics.likelihood_ratio_scores(torch.ones(2), torch.tensor([1.0, math.nan])), ValueError, "NaN"),
    (lambda: metrics.perturb_levels(torch.zeros(3), 1.5, 17), ValueError, "rate"),
    (lambda: metrics.perturb_levels(torch.zeros(3), 0.5, 1), ValueError, "num_levels"),
    (lambda: metrics.perturb_levels(torch.full((3,), 17.0), 0.5, 17), ValueError, "levels"),
    (lambda: metrics.perturb_levels(torch.full((3,), 0.5), 0.5, 17), ValueError, "integer levels"),
    (lambda: metrics.perturb_levels("x", 0.5, 17), TypeError, "torch.Tensor"),
    (lambda: metrics.compression_bits(torch.zeros(64), 17), ValueError, r"\(N, D\)"),
    (lambda: metrics.compression_bits(torch.zeros(2, 64), 300), ValueError, "256"),
    (lambda: metrics.compression_bits(-torch.ones(2, 64), 17), ValueError, "levels"),
    (lambda: metrics.complexity_corrected_scores(torch.ones(2), torch.ones(3)), ValueError, "same inputs"),
    (lambda: metrics.typicality_scores(torch.ones(3), 1.0, batch_size=4), ValueError, "batch_size"),
    (lambda: metrics.typicality_scores(torch.ones(3), math.inf), ValueError, "entropy"),
    (lambda: metrics.typicality_scores(torch.ones(3), "H"), TypeError, "entropy"),
    (lambda: metrics.typicality_threshold(torch.ones(3), 1.0, alpha=1.0), ValueError, "alpha"),
    (lambda: metrics.typicality_threshold(torch.ones(3), 1.0, num_bootstrap=0), ValueError, "num_bootstrap"),
    (lambda: metrics.typicality_threshold(torch.ones(3), 1.0, generator=0), TypeError, "generator"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
