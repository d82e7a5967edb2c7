"""dgm_utils.metrics.samples: the digits classifier, the Fréchet distance, improved precision and recall, the
confident fraction and sample_metrics, against closed forms, brute-force loops and real digits."""

import math

import pytest
import torch

from dgm_utils import data, metrics
from dgm_utils.metrics import samples


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


def _whitened(n, dim, seed):
    """n points (n, dim) in float64 whose sample mean is exactly 0 and sample covariance (divisor n - 1) exactly I."""
    z = torch.randn(n, dim, generator=_seeded(seed), dtype=torch.float64)
    z = z - z.mean(0)
    cholesky = torch.linalg.cholesky(z.T @ z / (n - 1))  # (dim, dim)
    return torch.linalg.solve_triangular(cholesky, z.T, upper=False).T  # (n, dim)


def _symmetric_sqrt(matrix):
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T


# ---------------------------------------------------------------------------------------------------
# Fréchet distance


def test_frechet_distance_of_gaussians_with_exact_moments_is_the_closed_form():
    mean_a, mean_b = torch.tensor([0.0, 1.0, -2.0]), torch.tensor([1.0, 1.0, 0.5])
    # identity covariances: only the means differ, d^2 = ||mu_a - mu_b||^2
    a, b = _whitened(50, 3, 0) + mean_a, _whitened(70, 3, 1) + mean_b
    assert metrics.frechet_distance(a, b) == pytest.approx(float(((mean_a - mean_b) ** 2).sum()), abs=1e-8)
    # diagonal covariances: d^2 = ||mu_a - mu_b||^2 + sum_d (sqrt(var_a) - sqrt(var_b))^2
    var_a, var_b = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([9.0, 1.0, 0.25])
    a = _whitened(40, 3, 2) * var_a.sqrt() + mean_a
    b = _whitened(60, 3, 3) * var_b.sqrt() + mean_b
    exact = float(((mean_a - mean_b) ** 2).sum() + ((var_a.sqrt() - var_b.sqrt()) ** 2).sum())
    assert exact > 5 and metrics.frechet_distance(a, b) == pytest.approx(exact, abs=1e-8)
    # one dimension: (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2
    a, b = _whitened(30, 1, 4) * 2.0 + 1.0, _whitened(20, 1, 5) * 0.5
    assert metrics.frechet_distance(a, b) == pytest.approx(1.0 + 1.5**2, abs=1e-8)


def test_frechet_distance_with_full_covariances_matches_an_eigendecomposition():
    a = torch.randn(300, 4, generator=_seeded(6), dtype=torch.float64) @ torch.randn(4, 4, generator=_seeded(7),
                                                                                      dtype=torch.float64)
    b = torch.randn(200, 4, generator=_seeded(8), dtype=torch.float64) * 2.0 + 0.3
    covariance_a, covariance_b = torch.cov(a.T), torch.cov(b.T)
    root_a = _symmetric_sqrt(covariance_a)
    # Tr (S_a S_b)^{1/2} = Tr (S_a^{1/2} S_b S_a^{1/2})^{1/2}, a symmetric matrix's root by eigh
    cross = torch.trace(_symmetric_sqrt(root_a @ covariance_b @ root_a))
    exact = float(((a.mean(0) - b.mean(0)) ** 2).sum() + torch.trace(covariance_a + covariance_b) - 2 * cross)
    assert metrics.frechet_distance(a, b) == pytest.approx(exact, rel=1e-8)
    assert metrics.frechet_distance(b.float(), a.float()) == pytest.approx(exact, rel=1e-5)  # symmetric, float32
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert metrics.frechet_distance(a, a[torch.randperm(300, generator=_seeded(9))]) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        metrics.frechet_distance(torch.randn(5, 3), torch.randn(5, 2))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(torch.randn(5, 3), torch.randn(1, 3))
    with pytest.raises(TypeError, match="floating-point"):
        metrics.frechet_distance(torch.ones(5, 3, dtype=torch.long), torch.randn(5, 3))
    with pytest.raises(ValueError, match="finite"):
        metrics.frechet_distance(torch.full((5, 3), math.nan), torch.randn(5, 3))


# ---------------------------------------------------------------------------------------------------
# precision and recall


def _brute_force_precision_recall(real, fake, k):
    def radii(points):
        return [sorted(float((p - q).norm()) for j, q in enumerate(points) if j != i)[k - 1]
                for i, p in enumerate(points)]

    def fraction_inside(queries, centres, centre_radii):
        return sum(any(float((q - c).norm()) <= r for c, r in zip(centres, centre_radii)) for q in queries) / len(queries)

    return fraction_inside(fake, real, radii(real)), fraction_inside(real, fake, radii(fake))


def test_precision_recall_matches_a_loop_and_the_limiting_cases():
    real = torch.randn(40, 2, generator=_seeded(10), dtype=torch.float64)
    fake = torch.randn(30, 2, generator=_seeded(11), dtype=torch.float64) * 1.8 + 0.7
    for k in (1, 3, 5):
        precision, recall = metrics.precision_recall(real, fake, k=k)
        assert (precision, recall) == pytest.approx(_brute_force_precision_recall(real, fake, k), abs=1e-12)
        assert 0 < precision < 1 and 0 < recall  # the wider fakes spill outside the real balls
    assert metrics.precision_recall(real, real) == (1.0, 1.0)
    assert metrics.precision_recall(real, real + 100.0) == (0.0, 0.0)  # far away: nothing realistic, nothing covered


def test_recall_drops_when_the_fakes_cover_one_mode_of_two():
    generator = _seeded(12)
    centres = torch.tensor([[-5.0, 0.0], [5.0, 0.0]])
    real = torch.randn(400, 2, generator=generator) * 0.5 + centres[torch.arange(400) % 2]
    both = torch.randn(400, 2, generator=generator) * 0.5 + centres[torch.arange(400) % 2]
    one = torch.randn(400, 2, generator=generator) * 0.5 + centres[0]
    precision_both, recall_both = metrics.precision_recall(real, both)
    precision_one, recall_one = metrics.precision_recall(real, one)
    assert precision_both > 0.9 and recall_both > 0.9
    assert precision_one > 0.9  # the covered mode is modelled well ...
    assert 0.4 < recall_one < 0.55  # ... but the real points of the other mode (half of them) are not covered


def test_precision_recall_rejects_bad_inputs():
    x = torch.randn(10, 2)
    with pytest.raises(ValueError, match="more than k = 3"):
        metrics.precision_recall(x, x[:3])
    with pytest.raises(ValueError, match="k must be a positive int"):
        metrics.precision_recall(x, x, k=0)
    with pytest.raises(TypeError, match="k must be an int"):
        metrics.precision_recall(x, x, k=2.0)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        metrics.precision_recall(x, torch.randn(10, 3))
    with pytest.raises(ValueError, match="finite"):
        metrics.precision_recall(x, torch.full((10, 2), math.inf))


# ---------------------------------------------------------------------------------------------------
# the digits classifier


def test_digits_classifier_is_accurate_cached_and_frozen():
    classifier = metrics.digits_classifier()
    assert classifier is metrics.digits_classifier(0) is metrics.digits_classifier(seed=0)
    x_test, labels = data.load_digits("test"), data.load_digit_labels("test")
    probabilities = classifier.predict_proba(x_test)
    assert probabilities.shape == (447, 10)
    torch.testing.assert_close(probabilities.sum(1), torch.ones(447))
    accuracy = float((probabilities.argmax(1) == labels).float().mean())
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f} (the docstring reports 0.975)"
    features = classifier.features(x_test[:7])
    assert features.shape == (7, 64) and torch.isfinite(features).all()
    # integer intensities are accepted and give the same result as floats
    torch.testing.assert_close(classifier.features(data.load_digits("test", dtype=torch.long)[:7]), features)
    assert not any(p.requires_grad for p in classifier.parameters()) and not classifier.training
    # gradients still reach the inputs (e.g. for a feature-matching loss)
    x = x_test[:3].clone().requires_grad_(True)
    classifier.features(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_digits_classifier_training_is_deterministic_and_leaves_the_global_random_state():
    state = torch.get_rng_state()
    first = samples._train_digits_classifier(5, 20).state_dict()
    assert torch.equal(torch.get_rng_state(), state)
    second = samples._train_digits_classifier(5, 20).state_dict()
    other = samples._train_digits_classifier(6, 20).state_dict()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert not torch.equal(first["head.weight"], other["head.weight"])


def test_digits_inputs_are_validated():
    classifier = metrics.digits_classifier()
    with pytest.raises(ValueError, match=r"\(N, 64\).*\(2, 8, 8\)"):
        classifier.features(torch.zeros(2, 8, 8))
    with pytest.raises(ValueError, match=r"\[0, 16\]"):
        classifier.predict_proba(torch.full((2, 64), 16.5))
    with pytest.raises(ValueError, match=r"\[0, 16\]"):
        metrics.confident_fraction(torch.full((2, 64), -0.1))
    with pytest.raises(ValueError, match="non-finite"):
        metrics.digits_frechet_distance(torch.full((2, 64), math.nan), data.load_digits("test"))
    with pytest.raises(TypeError, match="dtype torch.bool"):
        metrics.digits_precision_recall(data.load_digits("test", binarize=True, dtype=torch.bool),
                                        data.load_digits("test"))
    with pytest.raises(TypeError, match="torch.Tensor"):
        metrics.sample_metrics([[0.0] * 64] * 4, data.load_digits("test"))
    with pytest.raises(ValueError, match="threshold"):
        metrics.confident_fraction(data.load_digits("test"), threshold=1.5)
    with pytest.raises(ValueError, match="seed"):
        metrics.digits_classifier(-1)


# ---------------------------------------------------------------------------------------------------
# metrics in the classifier's feature space


def test_confident_fraction_counts_the_largest_class_probability():
    x = data.load_digits("val")
    largest = metrics.digits_classifier().predict_proba(x).max(1).values  # (350,)
    for threshold in (0.5, 0.9, 0.99):
        assert metrics.confident_fraction(x, threshold) == pytest.approx(float((largest >= threshold).double().mean()))
    assert metrics.confident_fraction(x, 1e-6) == 1.0
    assert metrics.confident_fraction(x) > 0.9  # real digits are mostly classified with confidence


def test_feature_space_metrics_separate_real_digits_from_blurred_ones():
    train, test = data.load_digits("train"), data.load_digits("test")
    # a degraded "model": each test image averaged with another one (blends of two digits)
    blended = (test + test.roll(1, dims=0)) / 2
    floor = metrics.digits_frechet_distance(test, train)
    assert metrics.digits_frechet_distance(blended, train) > 3 * floor > 0
    assert metrics.digits_frechet_distance(train, train) == pytest.approx(0.0, abs=1e-6)
    precision, recall = metrics.digits_precision_recall(test, train)
    assert precision > 0.6 and recall > 0.6  # the floor of two real sets (measured 0.75 and 0.69)
    assert metrics.digits_precision_recall(blended, train)[0] < precision - 0.2
    assert metrics.confident_fraction(blended) < metrics.confident_fraction(test) - 0.2


def test_sample_metrics_reports_each_metric_and_the_class_accuracy():
    test, train = data.load_digits("test"), data.load_digits("train")
    labels = data.load_digit_labels("test")
    result = metrics.sample_metrics(test, train)
    assert set(result) == {"mmd2", "frechet", "confident", "precision", "recall"}
    bandwidth = metrics.median_bandwidth(train.double())
    assert result["mmd2"] == pytest.approx(float(metrics.mmd2(test.double(), train.double(), bandwidth)))
    assert result["frechet"] == pytest.approx(metrics.digits_frechet_distance(test, train))
    assert result["confident"] == pytest.approx(metrics.confident_fraction(test))
    assert (result["precision"], result["recall"]) == pytest.approx(metrics.digits_precision_recall(test, train))
    with_labels = metrics.sample_metrics(test, train, labels=labels)
    assert with_labels["accuracy"] >= 0.95
    assert metrics.sample_metrics(test, train, labels=(labels + 1) % 10)["accuracy"] < 0.05
    with pytest.raises(TypeError, match="integer tensor"):
        metrics.sample_metrics(test, train, labels=labels.float())
    with pytest.raises(ValueError, match=r"shape \(447,\)"):
        metrics.sample_metrics(test, train, labels=labels[:10])
    with pytest.raises(ValueError, match="classes 0..9"):
        metrics.sample_metrics(test, train, labels=labels + 1)
    with pytest.raises(ValueError, match="at least 2"):
        metrics.sample_metrics(test[:1], train)
