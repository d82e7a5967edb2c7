"""dgm_utils.latent: the Gaussian mixture against independent computations."""

import math

import pytest
import torch

from dgm_utils.latent import GaussianMixture, mixture_log_prob, mixture_sample


def _random_params(num_components, dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(num_components, dim, generator=g, dtype=torch.float64) * 2
    log_stds = torch.randn(num_components, dim, generator=g, dtype=torch.float64) * 0.3
    logits = torch.randn(num_components, generator=g, dtype=torch.float64)
    return means, log_stds, logits


@pytest.mark.parametrize("num_components,dim", [(1, 1), (3, 2), (5, 4)])
def test_log_prob_matches_torch_distributions(num_components, dim):
    means, log_stds, logits = _random_params(num_components, dim)
    x = torch.randn(50, dim, dtype=torch.float64) * 3
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=logits),
        torch.distributions.Independent(torch.distributions.Normal(means, log_stds.exp()), 1))
    torch.testing.assert_close(mixture_log_prob(x, means, log_stds, logits), mixture.log_prob(x))


def test_log_prob_single_gaussian_by_hand():
    x = torch.tensor([[0.5, -1.0]])
    means = torch.tensor([[0.0, 1.0]])
    log_stds = torch.log(torch.tensor([[2.0, 0.5]]))
    expected = sum(-0.5 * math.log(2 * math.pi) - math.log(s) - 0.5 * ((xi - m) / s) ** 2
                   for xi, m, s in [(0.5, 0.0, 2.0), (-1.0, 1.0, 0.5)])
    assert mixture_log_prob(x, means, log_stds, torch.zeros(1)).item() == pytest.approx(expected, rel=1e-6)


def test_log_prob_is_stable_far_from_every_component():
    means, log_stds, logits = (t.float() for t in _random_params(3, 2))
    far = torch.full((4, 2), 1e3)
    log_p = mixture_log_prob(far, means, log_stds, logits)
    assert torch.isfinite(log_p).all() and (log_p < -1e4).all()


def test_density_integrates_to_one_on_a_grid():
    means, log_stds, logits = _random_params(4, 2)
    axis = torch.linspace(-12, 12, 801, dtype=torch.float64)
    xx, yy = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)
    cell = (axis[1] - axis[0]) ** 2
    total = (mixture_log_prob(points, means, log_stds, logits).exp() * cell).sum().item()
    assert total == pytest.approx(1.0, abs=1e-3)


def test_samples_follow_weights_and_components():
    means = torch.tensor([[-10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    log_stds = torch.log(torch.tensor([[0.5, 0.5], [1.0, 1.0], [0.25, 2.0]]))
    logits = torch.log(torch.tensor([0.6, 0.3, 0.1]))
    n = 30_000
    x = mixture_sample(n, means, log_stds, logits, generator=torch.Generator().manual_seed(1))
    assert x.shape == (n, 2)
    nearest = torch.cdist(x, means).argmin(dim=1)
    for k, weight in enumerate([0.6, 0.3, 0.1]):
        frac = (nearest == k).float().mean().item()
        assert abs(frac - weight) < 5 * math.sqrt(weight * (1 - weight) / n)
        std = x[nearest == k].std(dim=0)
        torch.testing.assert_close(std, log_stds[k].exp(), rtol=0.05, atol=0.0)


def test_zero_samples_is_an_empty_batch():
    assert mixture_sample(0, torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2)).shape == (0, 3)


def test_model_interface_and_training_reduces_loss():
    torch.manual_seed(0)
    data = torch.cat([torch.randn(500, 2) * 0.3 + 3, torch.randn(500, 2) * 0.3 - 3])
    model = GaussianMixture(2).init_from_data(data, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # start away from the optimum that k-means already nearly finds
        model.means.add_(1.0)
        model.log_stds.add_(0.5)
    before = model.loss(data).item()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        optimizer.zero_grad()
        model.loss(data).backward()
        optimizer.step()
    after = model.loss(data).item()
    # Two components of std 0.3 in 2-D: the entropy of the data is log 2 + 2 * (0.5 log(2 pi e 0.09)).
    entropy = math.log(2) + 2 * 0.5 * math.log(2 * math.pi * math.e * 0.09)
    assert after < before
    assert after - entropy < 0.05
    assert model.sample(7).shape == (7, 2)
    assert model.log_prob(data[:5]).shape == (5,)


def test_init_from_data_spreads_means_over_separate_modes():
    modes = torch.tensor([[-5.0, -5.0], [5.0, 5.0], [-5.0, 5.0], [5.0, -5.0]])
    data = (modes[:, None, :] + 0.1 * torch.randn(4, 100, 2)).reshape(-1, 2)
    model = GaussianMixture(4).init_from_data(data, generator=torch.Generator().manual_seed(3))
    nearest_mode = torch.cdist(model.means.detach(), modes).argmin(dim=1)
    assert sorted(nearest_mode.tolist()) == [0, 1, 2, 3]


def test_init_from_data_usually_gives_every_ring_mode_its_own_component():
    from dgm_utils.data import make_toy

    ring = make_toy("ring")  # 8 modes; a plain random start covers all of them in well under 1% of draws
    covered = 0
    for seed in range(10):
        generator = torch.Generator().manual_seed(seed)
        model = GaussianMixture(8).init_from_data(ring.sample(2000, generator=generator), generator=generator)
        covered += len(set(torch.cdist(model.means.detach(), ring.means.float()).argmin(1).tolist())) == 8
    assert covered >= 8


def test_init_from_data_sets_spreads_and_weights_from_the_clusters():
    data = torch.cat([torch.randn(300, 2) * 0.5 + 10, torch.randn(100, 2) * 2.0 - 10])
    model = GaussianMixture(2).init_from_data(data, generator=torch.Generator().manual_seed(0))
    order = model.means[:, 0].argsort(descending=True)
    torch.testing.assert_close(torch.softmax(model.logits, 0)[order], torch.tensor([0.75, 0.25]))
    torch.testing.assert_close(model.log_stds.exp()[order], torch.tensor([[0.5, 0.5], [2.0, 2.0]]), rtol=0.2, atol=0)


@pytest.mark.parametrize("bad,error", [
    (dict(x=torch.zeros(3, 5)), ValueError),
    (dict(x=torch.zeros(3, 2, dtype=torch.long)), TypeError),
    (dict(logits=torch.zeros(4)), ValueError),
    (dict(log_stds=torch.zeros(3)), ValueError),
    (dict(means=[[0.0, 0.0]]), TypeError),
])
def test_bad_input_is_named(bad, error):
    args = dict(x=torch.zeros(3, 2), means=torch.zeros(3, 2), log_stds=torch.zeros(3, 2), logits=torch.zeros(3))
    args.update(bad)
    with pytest.raises(error, match=next(iter(bad))):
        mixture_log_prob(**args)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="num_components"):
        GaussianMixture(0)
    with pytest.raises(ValueError, match="dim"):
        GaussianMixture(2, dim=0)
