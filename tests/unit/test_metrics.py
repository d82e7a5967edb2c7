"""dgm_utils.metrics: likelihood bookkeeping, the KL gap on toys, MMD (unbiased, biased, multi-scale), the
permutation and classifier two-sample tests, and grid integration (sample-quality metrics: test_metrics_samples)."""

import math

import pytest
import torch
from torch import nn

from dgm_utils import data, metrics
from dgm_utils.latent import GaussianMixture


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


def _diagonal_gaussian_log_prob(mean, std):
    """x (N, 2) -> log N(x; mean, diag(std^2)) (N,), via torch.distributions (independent of dgm_utils)."""
    normal = torch.distributions.Normal(torch.as_tensor(mean), torch.as_tensor(std))
    return lambda x: normal.log_prob(x).sum(dim=1)


def _kl_diagonal_gaussians(mean_p, std_p, mean_q, std_q):
    """Closed form KL(N(mean_p, diag std_p^2) || N(mean_q, diag std_q^2)), summed over dimensions."""
    return sum(math.log(sq / sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5
               for mp, sp, mq, sq in zip(mean_p, std_p, mean_q, std_q))


# ---------------------------------------------------------------------------------------------------
# likelihood bookkeeping


def test_nll_is_the_mean_negative_log_prob():
    assert metrics.nll(torch.tensor([-1.0, -2.0, -4.5])) == pytest.approx(2.5)
    assert metrics.nll(torch.tensor([0.5], requires_grad=True)) == pytest.approx(-0.5)
    assert metrics.nll(torch.tensor([-1.0, -math.inf])) == math.inf
    with pytest.raises(ValueError, match=r"\(N,\).*\(2, 2\)"):
        metrics.nll(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="N >= 1"):
        metrics.nll(torch.zeros(0))
    with pytest.raises(TypeError, match="floating-point"):
        metrics.nll(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="torch.Tensor"):
        metrics.nll([-1.0])


def test_bits_per_dim_against_hand_values():
    # 100 nats over 64 pixels: 100 / (64 * 0.693147...) = 2.25421100...
    assert metrics.bits_per_dim(100.0, 64) == pytest.approx(2.2542110014, abs=1e-9)
    # one nat per dimension is 1 / ln 2 = 1.4426950409 bits
    assert metrics.bits_per_dim(3.0, 3) == pytest.approx(1.4426950409, abs=1e-9)
    assert metrics.bits_per_dim(torch.tensor(64 * math.log(2.0) * 5), 64) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="num_dims"):
        metrics.bits_per_dim(1.0, 0)
    with pytest.raises(TypeError, match="num_dims"):
        metrics.bits_per_dim(1.0, 2.0)
    with pytest.raises(TypeError, match="nll_nats"):
        metrics.bits_per_dim("1.0", 2)


def test_evaluate_nll_batches_without_gradients_for_functions_and_models():
    x = torch.randn(53, 2, generator=_seeded(0))
    log_prob = _diagonal_gaussian_log_prob([0.0, 1.0], [1.0, 2.0])
    expected = -float(log_prob(x).double().mean())
    seen_batch_sizes = []

    def recording_log_prob(points):
        assert not torch.is_grad_enabled()
        seen_batch_sizes.append(len(points))
        return log_prob(points)

    assert metrics.evaluate_nll(recording_log_prob, x, batch_size=10) == pytest.approx(expected, rel=1e-6)
    assert seen_batch_sizes == [10, 10, 10, 10, 10, 3]
    assert metrics.evaluate_nll(log_prob, x) == pytest.approx(expected, rel=1e-6)

    model = GaussianMixture(num_components=2)
    model.train()
    with torch.no_grad():
        model_expected = -float(model.log_prob(x).double().mean())
    assert metrics.evaluate_nll(model, x, batch_size=7) == pytest.approx(model_expected, rel=1e-6)
    assert model.training, "evaluate_nll must restore the model's training mode"


def test_evaluate_nll_rejects_bad_inputs():
    x = torch.zeros(4, 2)
    with pytest.raises(TypeError, match="log_prob"):
        metrics.evaluate_nll(object(), x)
    with pytest.raises(ValueError, match=r"shape \(4,\).*\(4, 1\)"):
        metrics.evaluate_nll(lambda points: torch.zeros(len(points), 1), x)
    with pytest.raises(ValueError, match="batch_size"):
        metrics.evaluate_nll(lambda points: points.sum(1), x, batch_size=0)
    with pytest.raises(ValueError, match="at least one example"):
        metrics.evaluate_nll(lambda points: points.sum(1), torch.zeros(0, 2))
    with pytest.raises(TypeError, match="torch.Tensor"):
        metrics.evaluate_nll(lambda points: points.sum(1), [[0.0, 0.0]])


# ---------------------------------------------------------------------------------------------------
# KL gap


def _gap_standard_error(model_log_prob, toy, num_samples, entropy_samples=0):
    """Standard error of the kl_gap estimate (NLL on num_samples, minus a MC entropy on entropy_samples)."""
    x = toy.sample(20_000, generator=_seeded(99)).double()
    variance = float(model_log_prob(x).var()) / num_samples
    if entropy_samples:
        variance += float(toy.log_prob(x).var()) / entropy_samples
    return math.sqrt(variance)


@pytest.mark.parametrize("name", ["ring", "banana", "checkerboard"])
def test_kl_gap_of_the_truth_is_zero(name):
    toy = data.make_toy(name)
    gap = metrics.kl_gap(toy, toy, num_samples=50_000, seed=1)
    entropy_samples = 200_000 if isinstance(toy, data.GaussianMixture2D) else 0
    assert abs(gap) < 5 * _gap_standard_error(toy.log_prob, toy, 50_000, entropy_samples) + 1e-6


def test_kl_gap_equals_the_closed_form_kl_between_gaussians():
    mean_p, std_p = (0.5, -1.0), (1.0, 0.5)
    mean_q, std_q = (0.0, -0.5), (1.5, 0.4)
    toy = data.GaussianMixture2D([mean_p], [std_p], name="gaussian")
    model_log_prob = _diagonal_gaussian_log_prob(mean_q, std_q)
    exact = _kl_diagonal_gaussians(mean_p, std_p, mean_q, std_q)
    gap = metrics.kl_gap(model_log_prob, toy, num_samples=50_000, seed=0)
    assert abs(gap - exact) < 5 * _gap_standard_error(model_log_prob, toy, 50_000)
    assert exact > 0.5  # the case is far from zero, so the comparison means something

    # the same through an nn.Module with a log_prob method
    model = GaussianMixture(num_components=1)
    with torch.no_grad():
        model.means.copy_(torch.tensor([mean_q]))
        model.log_stds.copy_(torch.log(torch.tensor([std_q])))
    assert metrics.kl_gap(model, toy, num_samples=50_000, seed=0) == pytest.approx(gap, abs=1e-4)


def test_kl_gap_rejects_bad_inputs():
    toy = data.make_toy("banana")
    with pytest.raises(TypeError, match="ToyDistribution"):
        metrics.kl_gap(toy, "banana")
    with pytest.raises(ValueError, match="num_samples"):
        metrics.kl_gap(toy, toy, num_samples=0)


# ---------------------------------------------------------------------------------------------------
# MMD


def _brute_force_mmd2(x, y, bandwidth):
    def k(a, b):
        return math.exp(-float(((a - b) ** 2).sum()) / (2 * bandwidth**2))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_mmd2_matches_the_definition_and_the_median_heuristic():
    x = torch.randn(7, 3, generator=_seeded(0), dtype=torch.float64)
    y = torch.randn(5, 3, generator=_seeded(1), dtype=torch.float64) + 0.5
    assert float(metrics.mmd2(x, y, bandwidth=0.8)) == pytest.approx(_brute_force_mmd2(x, y, 0.8), abs=1e-12)
    pooled = torch.cat([x, y])
    distances = [float((pooled[i] - pooled[j]).norm()) for i in range(12) for j in range(i + 1, 12)]
    median = sorted(distances)[(len(distances) - 1) // 2]  # torch's median: the lower of the middle two
    assert float(metrics.mmd2(x, y)) == pytest.approx(_brute_force_mmd2(x, y, median), abs=1e-12)
    assert float(metrics.mmd2(x, y)) == pytest.approx(float(metrics.mmd2(y, x)), abs=1e-12)


def test_mmd2_averages_to_the_closed_form_for_shifted_gaussians():
    # For P = N(0, I_2), Q = N(delta, I_2) and k = exp(-|a - b|^2 / (2 h^2)):
    # MMD^2 = 2 (h^2 / (h^2 + 2)) (1 - exp(-|delta|^2 / (2 (h^2 + 2)))).
    bandwidth, delta = 1.5, torch.tensor([1.0, 0.0], dtype=torch.float64)
    exact = 2 * bandwidth**2 / (bandwidth**2 + 2) * (1 - math.exp(-1.0 / (2 * (bandwidth**2 + 2))))
    generator = _seeded(0)
    estimates = [float(metrics.mmd2(torch.randn(200, 2, generator=generator, dtype=torch.float64),
                                    torch.randn(200, 2, generator=generator, dtype=torch.float64) + delta,
                                    bandwidth=bandwidth)) for _ in range(20)]
    # the mean of 20 estimates has a standard deviation of about 0.005
    assert sum(estimates) / 20 == pytest.approx(exact, abs=0.025)


def test_mmd2_is_unbiased_near_zero_for_equal_and_large_for_shifted_distributions():
    generator = _seeded(1)
    # same distribution: each estimate has standard deviation ~0.006 at n = 100, their mean ~0.0009
    same = [float(metrics.mmd2(torch.randn(100, 2, generator=generator), torch.randn(100, 2, generator=generator)))
            for _ in range(50)]
    assert abs(sum(same) / len(same)) < 0.005
    x, y = torch.randn(400, 2, generator=generator), torch.randn(400, 2, generator=generator)
    assert abs(float(metrics.mmd2(x, y))) < 0.02  # standard deviation ~0.002
    assert float(metrics.mmd2(x, y + torch.tensor([1.0, 0.0]))) > 0.1  # mean ~0.21, standard deviation ~0.02


def test_mmd2_is_differentiable():
    x = torch.randn(20, 2, generator=_seeded(0), requires_grad=True)
    y = torch.randn(30, 2, generator=_seeded(1)) + 1.0
    value = metrics.mmd2(x, y)
    assert value.shape == ()
    value.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_mmd2_rejects_bad_inputs():
    x = torch.zeros(5, 2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        metrics.mmd2(x, torch.zeros(5, 3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.mmd2(x, torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        metrics.mmd2(torch.zeros(5), x)
    with pytest.raises(ValueError, match="bandwidth"):
        metrics.mmd2(torch.randn(5, 2), torch.randn(5, 2), bandwidth=-1.0)
    with pytest.raises(ValueError, match="median"):
        metrics.mmd2(x, torch.zeros(5, 2))  # all points equal: no scale for the heuristic
    with pytest.raises(TypeError, match="floating-point"):
        metrics.mmd2(torch.zeros(5, 2, dtype=torch.long), x)


def test_mmd2_floor_is_the_spread_of_mmd2_between_exact_samples():
    toy = data.ring()
    reference = toy.sample(300, generator=_seeded(1))
    values = torch.tensor([float(metrics.mmd2(toy.sample(300, generator=_seeded(40 + i)), reference))
                           for i in range(4)])
    mean, std = metrics.mmd2_floor(toy, reference, repeats=4, seed=40)
    assert mean == pytest.approx(float(values.mean()), abs=1e-9) and std == pytest.approx(float(values.std()), abs=1e-9)
    # a sampler of another distribution is far above the floor of exact samples
    assert float(metrics.mmd2(toy.sample(300, generator=_seeded(9)) + 1.0, reference)) > mean + 10 * std
    with pytest.raises(TypeError, match="sample"):
        metrics.mmd2_floor(object(), reference)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.mmd2_floor(toy, reference, repeats=1)
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        metrics.mmd2_floor(toy, torch.zeros(5))


def test_permutation_test_p_values():
    generator = _seeded(2)
    num_permutations = 100
    # Under H0 the p-value is (nearly) uniform: 40 of them average 0.5 with standard deviation 0.046.
    p_values = []
    for _ in range(40):
        x, y = torch.randn(50, 2, generator=generator), torch.randn(50, 2, generator=generator)
        statistic, p_value = metrics.mmd_permutation_test(x, y, num_permutations, generator=generator)
        assert statistic == pytest.approx(float(metrics.mmd2(x, y)), abs=1e-6)
        assert 1 / (num_permutations + 1) <= p_value <= 1
        p_values.append(p_value)
    assert 0.25 < sum(p_values) / len(p_values) < 0.75
    assert sum(p < 0.05 for p in p_values) <= 10
    # A shift of one standard deviation with 100 points each is detected every time.
    x, y = torch.randn(100, 2, generator=generator), torch.randn(100, 2, generator=generator) + 1.0
    statistic, p_value = metrics.mmd_permutation_test(x, y, 200, generator=generator)
    assert p_value == pytest.approx(1 / 201)
    assert statistic > 0.05
    # reproducible with a seeded generator
    assert (metrics.mmd_permutation_test(x, y + 0.3, 50, generator=_seeded(5))
            == metrics.mmd_permutation_test(x, y + 0.3, 50, generator=_seeded(5)))
    with pytest.raises(ValueError, match="num_permutations"):
        metrics.mmd_permutation_test(x, y, 0)
    with pytest.raises(TypeError, match="Generator"):
        metrics.mmd_permutation_test(x, y, 10, generator=3)


def _brute_force_biased_mmd2(x, y, bandwidth):
    """The V-statistic by a float64 double loop over all pairs, the diagonals included."""
    def k(a, b):
        return math.exp(-float(((a - b) ** 2).sum()) / (2 * bandwidth**2))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n)) / n**2
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m)) / m**2
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


def test_biased_mmd2_is_the_v_statistic_and_exceeds_the_unbiased_one():
    generator = _seeded(3)
    for n, m, shift in ((6, 4, 0.0), (5, 8, 1.0), (9, 9, 0.3)):
        x = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        y = torch.randn(m, 2, generator=generator, dtype=torch.float64) + shift
        biased = float(metrics.mmd2(x, y, 0.7, biased=True))
        unbiased = float(metrics.mmd2(x, y, 0.7))
        assert biased == pytest.approx(_brute_force_biased_mmd2(x, y, 0.7), abs=1e-12)
        assert unbiased == pytest.approx(_brute_force_mmd2(x, y, 0.7), abs=1e-12)
        # V - U = (1 - mean_{i != j} k(x_i, x_j)) / N + (1 - mean_{i != j} k(y_i, y_j)) / M >= 0
        def mean_off_diagonal(z):
            kernel = torch.exp(-torch.cdist(z, z) ** 2 / (2 * 0.7**2))
            return float((kernel.sum() - len(z)) / (len(z) * (len(z) - 1)))
        gap = (1 - mean_off_diagonal(x)) / n + (1 - mean_off_diagonal(y)) / m
        assert biased - unbiased == pytest.approx(gap, abs=1e-12) and gap > 0
    # the V-statistic is >= 0 even for two draws of one distribution, where the U-statistic is often negative
    x, y = torch.randn(30, 2, generator=generator), torch.randn(30, 2, generator=generator)
    assert float(metrics.mmd2(x, y, biased=True)) > 0


def test_median_bandwidth_is_the_median_pairwise_distance():
    x = torch.randn(6, 3, generator=_seeded(4), dtype=torch.float64)
    y = torch.randn(5, 3, generator=_seeded(5), dtype=torch.float64) * 2

    def lower_median(z):
        distances = sorted(float((z[i] - z[j]).norm()) for i in range(len(z)) for j in range(i + 1, len(z)))
        return distances[(len(distances) - 1) // 2]

    assert metrics.median_bandwidth(x, y) == pytest.approx(lower_median(torch.cat([x, y])), abs=1e-12)
    assert metrics.median_bandwidth(x) == pytest.approx(lower_median(x), abs=1e-12)
    assert metrics.multiscale_bandwidths(x, y) == pytest.approx(
        tuple(lower_median(torch.cat([x, y])) * f for f in (0.25, 0.5, 1, 2, 4)), abs=1e-12)
    with pytest.raises(ValueError, match="median"):
        metrics.median_bandwidth(torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        metrics.median_bandwidth(x, torch.zeros(4, 2))


def test_multiscale_mmd2_is_the_sum_over_single_scales():
    x = torch.randn(12, 2, generator=_seeded(6), dtype=torch.float64)
    y = torch.randn(9, 2, generator=_seeded(7), dtype=torch.float64) * 1.5
    bandwidths = (0.3, 1.0, 2.5)
    for biased in (False, True):
        single = sum(float(metrics.mmd2(x, y, h, biased=biased)) for h in bandwidths)
        assert float(metrics.mmd2_multiscale(x, y, bandwidths, biased=biased)) == pytest.approx(single, abs=1e-12)
        defaults = metrics.multiscale_bandwidths(x, y)
        default_sum = sum(float(metrics.mmd2(x, y, h, biased=biased)) for h in defaults)
        assert float(metrics.mmd2_multiscale(x, y, biased=biased)) == pytest.approx(default_sum, abs=1e-12)
    assert float(metrics.mmd2_multiscale(x, y, [0.8])) == pytest.approx(float(metrics.mmd2(x, y, 0.8)), abs=1e-12)
    x32 = torch.randn(10, 2, generator=_seeded(8), requires_grad=True)
    value = metrics.mmd2_multiscale(x32, y.float())
    value.backward()
    assert value.shape == () and torch.isfinite(x32.grad).all() and x32.grad.abs().sum() > 0
    for bad in ([], [1.0, -1.0], [float("inf")]):
        with pytest.raises(ValueError, match="bandwidth"):
            metrics.mmd2_multiscale(x, y, bad)
    with pytest.raises(TypeError, match="bandwidths"):
        metrics.mmd2_multiscale(x, y, 1.0)
    with pytest.raises(TypeError, match="real number"):
        metrics.mmd2_multiscale(x, y, ["wide"])


def test_permutation_test_p_values_are_uniform_under_the_null():
    from scipy.stats import kstest

    generator = _seeded(11)
    for bandwidths in (None, (0.25, 1.0, 4.0)):
        p_values = []
        for _ in range(100):
            x, y = torch.randn(25, 2, generator=generator), torch.randn(35, 2, generator=generator)
            p_values.append(metrics.mmd_permutation_test(x, y, 99, generator=generator, bandwidths=bandwidths)[1])
        # p takes the values j / 100; the KS distance to U(0, 1) of 100 of them is ~0.09 at its median
        assert kstest(p_values, "uniform").pvalue > 0.01, (bandwidths, sorted(p_values))


def test_permutation_test_with_a_multiscale_kernel():
    generator = _seeded(12)
    x = torch.randn(80, 2, generator=generator)
    y = torch.randn(80, 2, generator=generator) * torch.tensor([1.0, 2.0])  # one axis widened
    bandwidths = metrics.multiscale_bandwidths(x, y)
    statistic, p_value = metrics.mmd_permutation_test(x, y, 100, generator=generator, bandwidths=bandwidths)
    assert statistic == pytest.approx(float(metrics.mmd2_multiscale(x, y, bandwidths)), abs=1e-5)
    assert p_value < 0.02
    with pytest.raises(ValueError, match="either bandwidth"):
        metrics.mmd_permutation_test(x, y, 10, 1.0, bandwidths=bandwidths)
    with pytest.raises(ValueError, match="bandwidths"):
        metrics.mmd_permutation_test(x, y, 10, bandwidths=())


# ---------------------------------------------------------------------------------------------------
# classifier two-sample test


def test_c2st_is_at_chance_under_the_null_and_near_one_for_separated_samples():
    generator = _seeded(13)
    for n, m in ((200, 200), (300, 100)):
        x, y = torch.randn(n, 2, generator=generator), torch.randn(m, 2, generator=generator)
        result = metrics.classifier_two_sample_test(x, y, generator=generator)
        assert result.num_test == 2 * round(0.5 * min(n, m))
        # a balanced test set of >= 100 points: the accuracy has standard deviation <= 0.05 around 1/2
        assert abs(result.accuracy - 0.5) < 0.15 and result.p_value > 0.001, result
    x, y = torch.randn(200, 2, generator=generator), torch.randn(200, 2, generator=generator) + 4.0
    separated = metrics.classifier_two_sample_test(x, y, generator=generator)
    assert separated.accuracy > 0.97 and separated.p_value < 1e-20
    # a widened distribution (same mean) is told apart by the nonlinear classifier
    wide = metrics.classifier_two_sample_test(x, torch.randn(200, 2, generator=generator) * 3.0, generator=generator)
    assert wide.accuracy > 0.7 and wide.p_value < 1e-4
    # the one-sided binomial tail P(Binomial(200, 1/2) >= correct), computed here by summing the probabilities
    for result in (separated, wide, metrics.classifier_two_sample_test(x, y - 3.8, generator=generator)):
        correct = round(result.accuracy * 200)
        tail = sum(math.comb(200, j) for j in range(correct, 201)) / 2**200
        assert result.p_value == pytest.approx(tail, rel=1e-9, abs=0)


def test_c2st_is_reproducible_and_rejects_bad_inputs():
    x = torch.randn(60, 3, generator=_seeded(14))
    y = torch.randn(50, 3, generator=_seeded(15)) + 0.5
    first = metrics.classifier_two_sample_test(x, y, num_steps=50, generator=_seeded(1))
    assert first == metrics.classifier_two_sample_test(x, y, num_steps=50, generator=_seeded(1))
    assert first.num_test == 2 * 25 and 0 <= first.accuracy <= 1 and 0 < first.p_value <= 1
    assert metrics.classifier_two_sample_test(x, y, test_fraction=0.3, num_steps=5,
                                              generator=_seeded(1)).num_test == 2 * round(0.3 * 50)
    with pytest.raises(AttributeError):
        first.accuracy = 1.0  # a frozen dataclass
    with pytest.raises(ValueError, match="test_fraction"):
        metrics.classifier_two_sample_test(x, y, test_fraction=1.0)
    with pytest.raises(ValueError, match="test_fraction"):
        metrics.classifier_two_sample_test(x, y, test_fraction=0.0)
    with pytest.raises(ValueError, match="test_fraction"):
        metrics.classifier_two_sample_test(x[:3], y, test_fraction=0.05)  # nothing held out
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        metrics.classifier_two_sample_test(x, torch.zeros(5, 2))
    with pytest.raises(ValueError, match="num_steps"):
        metrics.classifier_two_sample_test(x, y, num_steps=0)
    with pytest.raises(TypeError, match="Generator"):
        metrics.classifier_two_sample_test(x, y, generator=0)


# ---------------------------------------------------------------------------------------------------
# grids


def test_grid_log_prob_orientation_and_cell_centres():
    xx, yy, log_p = metrics.grid_log_prob(lambda points: points[:, 0] + 10 * points[:, 1], ((0, 4), (-1, 1)),
                                          resolution=4)
    assert xx.shape == yy.shape == log_p.shape == (4, 4)
    torch.testing.assert_close(xx[0], torch.tensor([0.5, 1.5, 2.5, 3.5]))  # x along the columns
    torch.testing.assert_close(yy[:, 0], torch.tensor([-0.75, -0.25, 0.25, 0.75]))  # y along the rows
    torch.testing.assert_close(log_p, xx + 10 * yy)


def test_grid_integral_of_densities():
    gaussian = _diagonal_gaussian_log_prob([0.3, -0.2], [0.5, 0.8])
    box = ((-6.0, 6.0), (-6.0, 6.0))
    assert metrics.grid_integral(gaussian, box) == pytest.approx(1.0, abs=1e-4)
    assert metrics.grid_integral(lambda x: gaussian(x) + math.log(2.0), box) == pytest.approx(2.0, abs=2e-4)
    # half of the mass lies right of the mean
    assert metrics.grid_integral(gaussian, ((0.3, 6.0), (-6.0, 6.0)), resolution=300) == pytest.approx(0.5, abs=1e-4)
    checkerboard = data.Checkerboard()  # -inf off the support contributes 0
    assert metrics.grid_integral(checkerboard, checkerboard.bounds) == pytest.approx(1.0, abs=1e-6)
    model = nn.Module()
    with pytest.raises(TypeError, match="log_prob"):
        metrics.grid_integral(model, box)


def test_grid_functions_reject_bad_bounds_and_resolution():
    density = _diagonal_gaussian_log_prob([0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="min < max"):
        metrics.grid_integral(density, ((1.0, -1.0), (-1.0, 1.0)))
    with pytest.raises(TypeError, match="bounds"):
        metrics.grid_log_prob(density, (-1.0, 1.0))
    with pytest.raises(ValueError, match="resolution"):
        metrics.grid_log_prob(density, ((-1, 1), (-1, 1)), resolution=0)


def test_outlier_auroc_is_the_probability_an_outlier_scores_higher():
    inliers = torch.tensor([0.0, 1.0, 2.0, 3.0])
    # pairs (outlier > inlier) counted by hand: 2.5 beats 3 inliers, 10 beats 4, 1.0 ties one (1/2) and beats one
    outliers = torch.tensor([2.5, 10.0, 1.0])
    assert metrics.outlier_auroc(inliers, outliers) == pytest.approx((3 + 4 + 1.5) / 12)
    assert metrics.outlier_auroc(inliers, inliers + 10) == 1.0
    assert metrics.outlier_auroc(inliers + 10, inliers) == 0.0
    generator = torch.Generator().manual_seed(0)
    same = [metrics.outlier_auroc(torch.randn(200, generator=generator), torch.randn(200, generator=generator))
            for _ in range(20)]
    assert abs(sum(same) / 20 - 0.5) < 0.03  # chance: each AUROC has sd ~0.029, the mean ~0.0065


@pytest.mark.parametrize("bad, error, match", [
    ([1.0, 2.0], TypeError, "torch.Tensor"),
    (torch.zeros(3, 1), ValueError, "1-D"),
    (torch.zeros(0), ValueError, "non-empty"),
    (torch.tensor([0.0, float("nan")]), ValueError, "NaN"),
    (torch.tensor([1, 2]), ValueError, "floating"),
])
def test_outlier_auroc_rejects_bad_scores(bad, error, match):
    with pytest.raises(error, match=match):
        metrics.outlier_auroc(bad, torch.zeros(3))
    with pytest.raises(error, match=match):
        metrics.outlier_auroc(torch.zeros(3), bad)
