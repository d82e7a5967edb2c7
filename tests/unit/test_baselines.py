"""dgm_utils.baselines: the independent categorical (and, for K = 2, Bernoulli) pixel model."""

import itertools
import math

import pytest
import torch
from scipy import stats

from dgm_utils import baselines, data, metrics
from dgm_utils.baselines import IndependentCategorical

#: A table with distinct rows and no symmetric entries, so that a swapped axis or a wrong index changes the result.
PROBS = torch.tensor([[0.5, 0.3, 0.2],
                      [0.1, 0.6, 0.3]], dtype=torch.float64)  # (D=2, K=3)

#: Four examples of two dimensions with three levels, whose counts are written out in the tests.
X_SMALL = torch.tensor([[0, 2], [0, 1], [0, 0], [1, 2]])


def _model(probs=PROBS):
    return IndependentCategorical(probs.to(torch.get_default_dtype()))


# ---------------------------------------------------------------------------------------------------
# the density


def test_log_prob_sums_to_one_over_all_configurations():
    model = _model()
    configurations = torch.tensor(list(itertools.product(range(3), repeat=2)))  # (9, 2): every x
    log_p = model.log_prob(configurations)
    assert log_p.shape == (9,)
    assert torch.logsumexp(log_p.double(), 0).item() == pytest.approx(0.0, abs=1e-6)
    # ... and a fitted model too (a model that forgot to normalize its counts would sum to N^2).
    fitted = IndependentCategorical.fit(X_SMALL, num_levels=3)
    assert torch.logsumexp(fitted.log_prob(configurations).double(), 0).item() == pytest.approx(0.0, abs=1e-6)


def test_log_prob_is_the_sum_of_the_table_entries():
    model = _model()
    x = torch.tensor([[0, 1], [2, 0], [1, 2]])
    expected = torch.tensor([math.log(0.5) + math.log(0.6), math.log(0.2) + math.log(0.1),
                             math.log(0.3) + math.log(0.3)], dtype=torch.float64)
    torch.testing.assert_close(model.log_prob(x).double(), expected, rtol=1e-6, atol=1e-6)
    # Levels stored as floats (what load_digits returns by default) give the same result.
    torch.testing.assert_close(model.log_prob(x.float()), model.log_prob(x))
    assert model.loss(x).item() == pytest.approx(-expected.mean().item(), rel=1e-6)


def test_fit_matches_the_smoothed_counts():
    # Dimension 0 sees levels (0, 0, 0, 1), dimension 1 sees (2, 1, 0, 2).
    add_one = IndependentCategorical.fit(X_SMALL, num_levels=3)
    torch.testing.assert_close(add_one.probs, torch.tensor([[4 / 7, 2 / 7, 1 / 7], [2 / 7, 2 / 7, 3 / 7]]))
    maximum_likelihood = IndependentCategorical.fit(X_SMALL, num_levels=3, pseudo_count=0)
    torch.testing.assert_close(maximum_likelihood.probs, torch.tensor([[3 / 4, 1 / 4, 0.0], [1 / 4, 1 / 4, 2 / 4]]))
    assert maximum_likelihood.log_prob(torch.tensor([[2, 0]])).item() == -math.inf  # an unseen level
    half = IndependentCategorical.fit(X_SMALL, num_levels=4, pseudo_count=0.5)
    torch.testing.assert_close(half.probs[0], torch.tensor([3.5, 1.5, 0.5, 0.5]) / 6)
    assert (half.num_features, half.num_levels) == (2, 4)


def test_binary_case_is_the_independent_bernoulli_model():
    """K = 2 on 0/1 data is chapter 1's baseline: mu = (counts + 1) / (N + 2), log p = sum x log mu + (1-x) log(1-mu)."""
    bits = data.load_digits("train", binarize=True)                     # (1000, 64) float 0/1
    test_bits = data.load_digits("test", binarize=True)
    model = IndependentCategorical.fit(bits, num_levels=2)
    mu = (bits.sum(0) + 1) / (len(bits) + 2)                             # (64,)
    bernoulli = (test_bits * mu.log() + (1 - test_bits) * (1 - mu).log()).sum(1)
    torch.testing.assert_close(model.probs[:, 1], mu)
    torch.testing.assert_close(model.log_prob(test_bits), bernoulli, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(model.log_prob(test_bits.bool()), model.log_prob(test_bits))


def test_the_digits_baseline_of_the_chapters():
    model = IndependentCategorical.fit(data.load_digits("train"), data.NUM_LEVELS)
    assert metrics.nll(model.log_prob(data.load_digits("test"))) == pytest.approx(106.47, abs=0.01)


def test_probs_are_a_buffer_not_a_parameter():
    model = IndependentCategorical.fit(X_SMALL, num_levels=3)
    assert list(model.parameters()) == [] and "probs" in model.state_dict()
    assert model.to(torch.float64).probs.dtype == torch.float64
    assert "num_features=2, num_levels=3" in repr(model)
    assert baselines.__all__ == ["IndependentCategorical"]


def test_the_table_is_copied():
    probs = PROBS.clone()
    model = IndependentCategorical(probs)
    probs[0] = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(model.probs, PROBS)


# ---------------------------------------------------------------------------------------------------
# sampling


def test_sampling_frequencies_match_the_table():
    """Pearson's chi-square test on the 9 joint frequencies: tests both marginals and their independence."""
    model = _model()
    num_samples = 30_000
    samples = model.sample(num_samples, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (num_samples, 2) and samples.dtype == torch.long
    observed = torch.bincount(samples[:, 0] * 3 + samples[:, 1], minlength=9).double()      # (9,)
    expected = torch.outer(PROBS[0], PROBS[1]).reshape(-1) * num_samples                    # (9,)
    _, p_value = stats.chisquare(observed.numpy(), expected.numpy())
    assert p_value > 1e-3, f"sample frequencies {observed.tolist()} do not match {expected.tolist()} (p = {p_value:.2g})"


def test_sampling_is_reproducible_with_a_generator():
    model = _model()
    first = model.sample(50, generator=torch.Generator().manual_seed(3))
    again = model.sample(50, generator=torch.Generator().manual_seed(3))
    other = model.sample(50, generator=torch.Generator().manual_seed(4))
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert model.sample(0).shape == (0, 2)


# ---------------------------------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize("x, error, message", [
    ([[0, 1]], TypeError, "x_levels must be a torch.Tensor"),
    (torch.tensor([0, 1, 2]), ValueError, "2 dimensions"),
    (torch.tensor([[0, 3]]), ValueError, r"levels 0\.\.2, got values from 0 to 3"),
    (torch.tensor([[-1, 0]]), ValueError, r"levels 0\.\.2"),
    (torch.tensor([[0.5, 1.0]]), ValueError, "whole numbers"),
    (torch.tensor([[math.nan, 1.0]]), ValueError, "whole numbers"),
    (torch.zeros(3, 0, dtype=torch.long), ValueError, "at least one column"),
])
def test_fit_rejects_bad_data(x, error, message):
    with pytest.raises(error, match=message):
        IndependentCategorical.fit(x, num_levels=3)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(num_levels=0), ValueError, "num_levels must be a positive int, got 0"),
    (dict(num_levels=3.0), TypeError, "num_levels must be an int"),
    (dict(num_levels=3, pseudo_count=-1.0), ValueError, "pseudo_count must be a finite number >= 0"),
    (dict(num_levels=3, pseudo_count="1"), TypeError, "pseudo_count must be a number"),
])
def test_fit_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        IndependentCategorical.fit(X_SMALL, **kwargs)


def test_fit_without_data_needs_a_pseudo_count():
    empty = torch.zeros(0, 2, dtype=torch.long)
    torch.testing.assert_close(IndependentCategorical.fit(empty, 4).probs, torch.full((2, 4), 0.25))
    with pytest.raises(ValueError, match="pseudo_count"):
        IndependentCategorical.fit(empty, 4, pseudo_count=0)


@pytest.mark.parametrize("probs, error, message", [
    (torch.tensor([0.5, 0.5]), ValueError, "2 dimensions"),
    (torch.tensor([[1, 0]]), TypeError, "floating-point"),
    (torch.tensor([[0.5, 0.6]]), ValueError, "row 0 sums to 1.1"),
    (torch.tensor([[1.5, -0.5]]), ValueError, "non-negative"),
    (torch.zeros(0, 3), ValueError, r"D, K >= 1"),
])
def test_the_table_must_be_a_distribution_per_row(probs, error, message):
    with pytest.raises(error, match=message):
        IndependentCategorical(probs)


def test_log_prob_rejects_data_of_another_shape_or_range():
    model = _model()
    with pytest.raises(ValueError, match=r"shape \(N, 2\), got \(1, 3\)"):
        model.log_prob(torch.tensor([[0, 1, 2]]))
    with pytest.raises(ValueError, match=r"levels 0\.\.2"):
        model.log_prob(torch.tensor([[0, 3]]))


@pytest.mark.parametrize("args, kwargs, error, message", [
    ((-1,), {}, ValueError, "num_samples must be a non-negative int"),
    ((2.0,), {}, TypeError, "num_samples must be an int"),
    ((2,), dict(generator=0), TypeError, "generator must be a torch.Generator"),
    ((2,), dict(context=torch.zeros(2, 1)), ValueError, "not a conditional model"),
])
def test_sample_rejects_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        _model().sample(*args, **kwargs)
