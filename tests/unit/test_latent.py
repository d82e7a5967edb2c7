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
    with pytest.raises(ValueError, match="num_features"):
        GaussianMixture(2, num_features=0)


# ----------------------------------------------------------------------------------------------------
# Unit 3: Gaussian pieces, EM, probabilistic PCA as an oracle, the VAE and its bounds.
#
# Each statistical property is written once as a check function that raises AssertionError, run on the
# reference implementation (must pass) and on a deliberately broken variant (must fail), so that the
# check is shown to be able to fail. Margins are a few Monte Carlo standard errors, estimated from the
# same draws, so a correct implementation passes for any seed.

from dgm_utils import data
from dgm_utils.latent import (BernoulliDecoder, CategoricalDecoder, GaussianDecoder, GaussianEncoder,
                              ProbabilisticPCA, VAE, gaussian_kl, gaussian_log_prob, reparameterize,
                              vae_for_digits)

#: How many standard errors a Monte Carlo estimate may be away from its expectation.
NUM_STANDARD_ERRORS = 5.0


def _float64_params(*shape, seed):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*shape, generator=g, dtype=torch.float64) for _ in range(4))


def test_gaussian_log_prob_matches_torch_distributions_and_broadcasts():
    x, mean, log_var, _ = _float64_params(3, 4, 5, seed=0)
    expected = torch.distributions.Normal(mean, (0.5 * log_var).exp()).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_log_prob(x, mean, log_var), expected)
    # samples (K, N, L) against parameters (N, L)
    torch.testing.assert_close(gaussian_log_prob(x, mean[0], log_var[0]),
                               torch.distributions.Normal(mean[0], (0.5 * log_var[0]).exp()).log_prob(x).sum(-1))


def test_reparameterize_shapes_moments_and_gradients():
    mean = torch.tensor([[1.0, -2.0]], dtype=torch.float64, requires_grad=True)
    log_var = torch.tensor([[0.5, -1.0]], dtype=torch.float64, requires_grad=True)
    assert reparameterize(mean, log_var).shape == (1, 2)
    z = reparameterize(mean, log_var, num_samples=100_000, generator=torch.Generator().manual_seed(0))
    assert z.shape == (100_000, 1, 2)
    std = (0.5 * log_var).exp().detach()
    assert ((z.mean(0) - mean).abs() < NUM_STANDARD_ERRORS * std / math.sqrt(len(z))).all()
    torch.testing.assert_close(z.std(0), std, rtol=0.02, atol=0)
    # z = mean + exp(log_var / 2) eps: dz/dmean = 1, dz/dlog_var = (z - mean) / 2 (not detached)
    z.sum().backward()
    torch.testing.assert_close(mean.grad, torch.full_like(mean, 100_000.0))
    torch.testing.assert_close(log_var.grad, 0.5 * (z - mean).detach().sum(0))
    same = reparameterize(mean, log_var, num_samples=3, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(same, reparameterize(mean, log_var, num_samples=3,
                                                    generator=torch.Generator().manual_seed(1)))


def _check_kl_matches_monte_carlo(kl_fn, seed=0, num_samples=50_000, standard_prior=False):
    """kl_fn(mean, log_var, prior_mean, prior_log_var) -> (N,) against (1/S) sum_s log q(z_s) - log p(z_s), z_s ~ q."""
    mean, log_var, prior_mean, prior_log_var = _float64_params(6, 3, seed=seed)
    if standard_prior:
        prior_mean, prior_log_var = torch.zeros_like(mean), torch.zeros_like(log_var)
    z = reparameterize(mean, log_var, num_samples, generator=torch.Generator().manual_seed(seed))  # (S, N, L)
    log_ratio = gaussian_log_prob(z, mean, log_var) - gaussian_log_prob(z, prior_mean, prior_log_var)  # (S, N)
    estimate, standard_error = log_ratio.mean(0), log_ratio.std(0) / math.sqrt(num_samples)
    kl = kl_fn(mean, log_var, prior_mean, prior_log_var)
    assert kl.shape == (6,)
    error = (kl - estimate).abs()
    assert (error < NUM_STANDARD_ERRORS * standard_error + 1e-9).all(), \
        f"KL {kl.tolist()} differs from the Monte Carlo estimate {estimate.tolist()}"


@pytest.mark.parametrize("standard_prior", [True, False])
def test_gaussian_kl_matches_monte_carlo(standard_prior):
    _check_kl_matches_monte_carlo(gaussian_kl, standard_prior=standard_prior)


def test_gaussian_kl_default_prior_and_torch_distributions():
    mean, log_var, prior_mean, prior_log_var = _float64_params(4, 3, seed=1)
    zeros = torch.zeros_like(mean)
    torch.testing.assert_close(gaussian_kl(mean, log_var), gaussian_kl(mean, log_var, zeros, zeros))
    torch.testing.assert_close(gaussian_kl(mean, log_var), 0.5 * (log_var.exp() + mean**2 - 1 - log_var).sum(-1))
    q = torch.distributions.Normal(mean, (0.5 * log_var).exp())
    p = torch.distributions.Normal(prior_mean, (0.5 * prior_log_var).exp())
    torch.testing.assert_close(gaussian_kl(mean, log_var, prior_mean, prior_log_var),
                               torch.distributions.kl_divergence(q, p).sum(-1))
    assert (gaussian_kl(mean, log_var) >= 0).all() and gaussian_kl(zeros, zeros).abs().max() == 0


@pytest.mark.parametrize("broken_kl", [
    lambda m, v, pm, pv: -gaussian_kl(m, v, pm, pv),  # wrong sign
    lambda m, v, pm, pv: 0.5 * (pv - v.exp().log() - 1 + (v + (m - pm) ** 2) / pv.exp()).sum(-1),  # log-var as var
    lambda m, v, pm, pv: 0.5 * (pv - v - 1 + (v.exp() + (m - pm) ** 2)).sum(-1),  # prior variance forgotten
], ids=["wrong_sign", "log_var_as_variance", "no_prior_variance"])
def test_kl_check_fails_on_broken_kl(broken_kl):
    with pytest.raises(AssertionError):
        _check_kl_matches_monte_carlo(broken_kl)


# --- EM -------------------------------------------------------------------------------------------


def _check_non_decreasing(values, name, tolerance=1e-9):
    drops = [(i, a - b) for i, (a, b) in enumerate(zip(values, values[1:])) if b < a - tolerance * max(1, abs(a))]
    assert not drops, f"{name} decreased at steps (step, drop) {drops[:5]}"


def _ring_data(seed=0, n=1000):
    return data.make_toy("ring").sample(n, generator=torch.Generator().manual_seed(seed))


def test_em_log_likelihood_is_non_decreasing_and_reaches_the_entropy():
    x = _ring_data()
    torch.manual_seed(0)
    model = GaussianMixture(8)
    with torch.no_grad():  # a poor start: every mean near the origin, so EM has a long way to go
        model.means.mul_(0.3)
    log_likelihoods = model.fit_em(x, num_steps=150)
    assert len(log_likelihoods) == 150
    _check_non_decreasing(log_likelihoods, "the EM log-likelihood")
    assert log_likelihoods[-1] - log_likelihoods[0] > 0.5
    assert log_likelihoods[-1] == pytest.approx(model.log_prob(x).mean().item(), abs=1e-5)  # parameters written back
    # EM finds a local optimum only; the best of three k-means starts fits the 8 ring modes with 8 components:
    # its NLL on fresh samples is within a few hundredths of the entropy
    models = [GaussianMixture(8).init_from_data(x, generator=torch.Generator().manual_seed(seed)) for seed in range(3)]
    final = []
    for model in models:
        log_likelihoods = model.fit_em(x, num_steps=50)
        _check_non_decreasing(log_likelihoods, "the EM log-likelihood")
        final.append(log_likelihoods[-1])
    model = models[max(range(3), key=final.__getitem__)]
    assert -model.log_prob(_ring_data(seed=1, n=20_000)).mean().item() - data.make_toy("ring").entropy() < 0.05


def _broken_em_log_likelihoods(x, model, num_steps):
    """EM whose E-step normalizes the responsibilities over the data instead of over the components."""
    x = x.double()
    means, log_stds, logits = (p.detach().double() for p in (model.means, model.log_stds, model.logits))
    out = []
    for _ in range(num_steps):
        log_joint = torch.log_softmax(logits, 0) + torch.distributions.Normal(
            means, log_stds.exp()).log_prob(x[:, None, :]).sum(-1)  # (N, K)
        r = torch.softmax(log_joint, dim=0) * len(x) / log_joint.shape[1]  # wrong axis
        counts = r.sum(0)
        means = (r.T @ x) / counts[:, None]
        log_stds = 0.5 * ((r.T @ x**2) / counts[:, None] - means**2).clamp(min=1e-6).log()
        logits = (counts / counts.sum()).log()
        out.append(mixture_log_prob(x, means, log_stds, logits).mean().item())
    return out


def test_em_check_fails_on_broken_em():
    torch.manual_seed(0)
    model = GaussianMixture(8).init_from_data(_ring_data(), generator=torch.Generator().manual_seed(0))
    with pytest.raises(AssertionError, match="decreased"):
        _check_non_decreasing(_broken_em_log_likelihoods(_ring_data(), model, 30), "the EM log-likelihood")


def test_em_recovers_separated_components_and_stops_at_tol():
    means = torch.tensor([[-6.0, 0.0], [6.0, 0.0], [0.0, 8.0]])
    stds = torch.tensor([[0.5, 1.0], [1.5, 0.5], [1.0, 1.0]])
    weights = torch.tensor([0.5, 0.3, 0.2])
    x = mixture_sample(6000, means, stds.log(), weights.log(), generator=torch.Generator().manual_seed(0))
    model = GaussianMixture(3).init_from_data(x, generator=torch.Generator().manual_seed(0))
    log_likelihoods = model.fit_em(x, num_steps=200, tol=1e-8)
    assert len(log_likelihoods) < 200
    order = torch.cdist(means, model.means.detach()).argmin(1)
    torch.testing.assert_close(model.means.detach()[order], means, atol=0.1, rtol=0)
    torch.testing.assert_close(model.log_stds.exp().detach()[order], stds, rtol=0.06, atol=0)
    torch.testing.assert_close(torch.softmax(model.logits.detach(), 0)[order], weights, atol=0.03, rtol=0)


def test_responsibilities_are_bayes_rule():
    means, log_stds, logits = _random_params(3, 2, seed=4)
    model = GaussianMixture(3)
    with torch.no_grad():
        model.means.copy_(means), model.log_stds.copy_(log_stds), model.logits.copy_(logits)
    x = torch.randn(7, 2)
    r = model.responsibilities(x)
    assert r.shape == (7, 3)
    components = torch.distributions.Normal(model.means, model.log_stds.exp())
    joint = torch.softmax(model.logits, 0) * components.log_prob(x[:, None, :]).sum(-1).exp()  # (N, K)
    torch.testing.assert_close(r, joint / joint.sum(1, keepdim=True))


# --- probabilistic PCA --------------------------------------------------------------------------------


def _ppca_data(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    mixing = torch.randn(5, 5, generator=g, dtype=torch.float64) * torch.tensor([3.0, 2.0, 0.5, 0.4, 0.3],
                                                                                dtype=torch.float64)
    return torch.randn(n, 5, generator=g, dtype=torch.float64) @ mixing.T + 1.0


def test_ppca_log_prob_by_hand_in_one_dimension():
    model = ProbabilisticPCA(W=torch.tensor([[2.0]]), mu=torch.tensor([1.0]), log_sigma=math.log(0.5))
    x = torch.tensor([[0.0], [3.0]])
    expected = torch.distributions.Normal(1.0, math.sqrt(4.0 + 0.25)).log_prob(x[:, 0])
    torch.testing.assert_close(model.log_prob(x), expected)


def test_ppca_closed_form_is_a_stationary_point_of_the_likelihood():
    x = _ppca_data()
    model = ProbabilisticPCA.fit_closed_form(x, 2)
    model.loss(x).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad.abs().max() < 1e-8, name
    gram = model.W.T @ model.W  # orthogonal columns: a diagonal posterior covariance
    torch.testing.assert_close(gram, torch.diag(gram.diagonal()))
    with torch.no_grad():  # and a maximum: perturbations lower the likelihood
        model.W.add_(0.05 * torch.randn_like(model.W))
    assert model.loss(x) > ProbabilisticPCA.fit_closed_form(x, 2).loss(x)


def test_ppca_samples_have_the_marginal_covariance():
    model = ProbabilisticPCA(W=torch.tensor([[2.0, 0.0], [1.0, 1.0], [0.0, -1.0]], dtype=torch.float64),
                             mu=torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64), log_sigma=math.log(0.3))
    x = model.sample(100_000, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(x.mean(0), model.mu.detach(), atol=0.03, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), model.marginal_covariance().detach(), atol=0.05, rtol=0)


def test_ppca_posterior_is_bayes_rule():
    """p(z|x) = p(x, z) / p(x): log_joint - log_prob must equal the posterior's log density at any z."""
    model = ProbabilisticPCA(W=torch.randn(4, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    x, z = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    mean, cov = model.posterior(x)
    expected = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov).log_prob(z)
    torch.testing.assert_close(model.log_joint(x, z) - model.log_prob(x), expected)


def _check_elbo_is_a_bound(elbo_fn, model, x, seed=0, check_equality=True):
    """elbo_fn(x, q_mean, q_log_var) <= log p(x) for many q, = log p(x) at the exact (diagonal) posterior."""
    log_p = model.log_prob(x)
    post_mean, post_cov = model.posterior(x)
    exact_log_var = post_cov.diagonal().log().expand_as(post_mean)
    if check_equality:
        torch.testing.assert_close(elbo_fn(x, post_mean, exact_log_var), log_p,
                                   msg="ELBO != log p(x) at the posterior")
    g = torch.Generator().manual_seed(seed)
    for scale in (0.1, 1.0, 3.0):
        q_mean = post_mean + scale * torch.randn(post_mean.shape, generator=g, dtype=x.dtype)
        q_log_var = exact_log_var + scale * torch.randn(post_mean.shape, generator=g, dtype=x.dtype)
        elbo = elbo_fn(x, q_mean, q_log_var)
        assert (elbo <= log_p + 1e-9).all(), f"ELBO exceeds log p(x) by up to {(elbo - log_p).max().item():.3g}"


def test_ppca_elbo_is_a_bound_tight_at_the_posterior():
    x = _ppca_data(n=50)
    model = ProbabilisticPCA.fit_closed_form(x, 2)
    with torch.no_grad():
        _check_elbo_is_a_bound(model.elbo, model, x)
        # the gap is KL(q || p(z|x))
        q_mean, q_log_var = torch.randn(50, 2, dtype=torch.float64), torch.randn(50, 2, dtype=torch.float64)
        torch.testing.assert_close(model.log_prob(x) - model.elbo(x, q_mean, q_log_var),
                                   model.posterior_kl(x, q_mean, q_log_var))


def test_ppca_elbo_monte_carlo_matches_the_closed_form():
    x = _ppca_data(n=20)
    model = ProbabilisticPCA.fit_closed_form(x, 2)
    q_mean, q_log_var = torch.randn(20, 2, dtype=torch.float64), torch.randn(20, 2, dtype=torch.float64) - 1
    with torch.no_grad():
        z = reparameterize(q_mean, q_log_var, 20_000, generator=torch.Generator().manual_seed(0))
        terms = model.log_joint(x, z) - gaussian_log_prob(z, q_mean, q_log_var)  # (S, N)
        error = (model.elbo(x, q_mean, q_log_var) - terms.mean(0)).abs()
        assert (error < NUM_STANDARD_ERRORS * terms.std(0) / math.sqrt(len(z))).all()
        assert model.elbo(x, q_mean, q_log_var, num_samples=5).shape == (20,)


@pytest.mark.parametrize("broken", ["kl_added", "log_var_as_variance", "no_kl"])
def test_elbo_check_fails_on_broken_elbo(broken):
    x = _ppca_data(n=50)
    model = ProbabilisticPCA.fit_closed_form(x, 2)

    def broken_elbo(x, q_mean, q_log_var):
        if broken == "kl_added":
            return model.elbo(x, q_mean, q_log_var) + 2 * gaussian_kl(q_mean, q_log_var)
        if broken == "log_var_as_variance":
            return model.elbo(x, q_mean, q_log_var.exp().log().log())
        return model.elbo(x, q_mean, q_log_var) + gaussian_kl(q_mean, q_log_var)

    with torch.no_grad(), pytest.raises(AssertionError, match="ELBO != log p"):
        _check_elbo_is_a_bound(broken_elbo, model, x)
    if broken != "log_var_as_variance":  # the inequality alone catches a KL with the wrong sign or none
        with torch.no_grad(), pytest.raises(AssertionError, match="exceeds"):
            _check_elbo_is_a_bound(broken_elbo, model, x, check_equality=False)


# --- the importance-weighted bound on PPCA ----------------------------------------------------------------


def _ppca_vae_with_an_imperfect_encoder(n=200):
    x = _ppca_data(n=n)
    model = ProbabilisticPCA.fit_closed_form(x, 2)
    vae = model.as_vae()
    with torch.no_grad():
        vae.encoder.net.bias.add_(torch.tensor([0.2, -0.2, 0.5, 0.5], dtype=torch.float64))  # mean and log-variance off
    return model, vae, x


def _check_iwae_bound(iwae_fn, log_p, x, ks=(1, 4, 16, 64, 256, 1024), final_gap=0.02):
    """Averaged over x: L_K non-decreasing in K (within a few standard errors), never above log p(x)
    beyond noise, and within ``final_gap`` nats (plus noise) of log p(x) at the largest K after a gap
    larger than ``final_gap`` at K = 1."""
    means, errors = [], []
    for i, k in enumerate(ks):
        values = iwae_fn(x, k, torch.Generator().manual_seed(i)) - log_p  # (N,) independent draws per K
        means.append(values.mean().item())
        errors.append(values.std().item() / math.sqrt(len(values)))
        assert means[-1] <= NUM_STANDARD_ERRORS * errors[-1], f"L_{k} exceeds log p(x) on average by {means[-1]:.3g}"
    for k, (a, b), (ea, eb) in zip(ks[1:], zip(means, means[1:]), zip(errors, errors[1:])):
        assert b >= a - NUM_STANDARD_ERRORS * math.hypot(ea, eb), f"L_K decreased at K = {k}: {means}"
    assert -means[-1] < final_gap + NUM_STANDARD_ERRORS * errors[-1] and final_gap < -means[0], \
        f"L_K - log p(x) for K in {ks}: {means}"


def test_iwae_bound_increases_in_k_towards_log_p_on_ppca():
    model, vae, x = _ppca_vae_with_an_imperfect_encoder()
    with torch.no_grad():
        _check_iwae_bound(lambda x, k, g: vae.iwae_bound(x, k, generator=g), model.log_prob(x), x)


def test_iwae_bound_is_exact_at_the_exact_posterior_and_equals_the_elbo_at_k_1():
    x = _ppca_data(n=30)
    model = ProbabilisticPCA.fit_closed_form(x, 2)
    vae = model.as_vae()
    with torch.no_grad():
        for k in (1, 7):  # every importance weight p(x, z) / p(z|x) equals p(x)
            torch.testing.assert_close(vae.iwae_bound(x, k), model.log_prob(x))
        model, vae, x = _ppca_vae_with_an_imperfect_encoder(n=30)
        q_mean, q_log_var = vae.encode(x)
        samples = torch.stack([vae.iwae_bound(x, 1, generator=torch.Generator().manual_seed(s)) for s in range(400)])
        error = (samples.mean(0) - model.elbo(x, q_mean, q_log_var)).abs()
        assert (error < NUM_STANDARD_ERRORS * samples.std(0) / math.sqrt(len(samples))).all()


@pytest.mark.parametrize("broken", ["mean_of_log_weights", "no_log_k", "harmonic_mean"])
def test_iwae_check_fails_on_broken_estimators(broken):
    model, vae, x = _ppca_vae_with_an_imperfect_encoder()

    def log_weights(x, k, generator):
        mean, log_var = vae.encode(x)
        z = reparameterize(mean, log_var, k, generator)  # (K, N, L)
        return model.log_joint(x, z) - gaussian_log_prob(z, mean, log_var)  # (K, N)

    estimators = {
        "mean_of_log_weights": lambda x, k, g: log_weights(x, k, g).mean(0),
        "no_log_k": lambda x, k, g: torch.logsumexp(log_weights(x, k, g), 0),
        "harmonic_mean": lambda x, k, g: math.log(k) - torch.logsumexp(-log_weights(x, k, g), 0),
    }
    with torch.no_grad(), pytest.raises(AssertionError):
        _check_iwae_bound(estimators[broken], model.log_prob(x), x)


# --- decoders, encoder and the VAE ---------------------------------------------------------------------


def _linear_net(in_features, out_features, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(in_features, out_features)


def test_decoders_match_torch_distributions_for_batches_of_samples():
    z = torch.randn(3, 5, 2)  # (K, N, L)
    x_binary = (torch.rand(5, 4) < 0.5).float()
    bernoulli = BernoulliDecoder(_linear_net(2, 4))
    expected = torch.distributions.Bernoulli(logits=bernoulli.net(z)).log_prob(x_binary).sum(-1)
    torch.testing.assert_close(bernoulli.log_prob(x_binary, z), expected)

    x_levels = torch.randint(0, 17, (5, 4)).float()
    categorical = CategoricalDecoder(_linear_net(2, 4 * 17), num_levels=17)
    logits = categorical.net(z).reshape(3, 5, 4, 17)
    expected = torch.distributions.Categorical(logits=logits).log_prob(x_levels.long()).sum(-1)
    torch.testing.assert_close(categorical.log_prob(x_levels, z), expected)
    torch.testing.assert_close(categorical.log_prob(x_levels.long(), z), expected)

    gaussian = GaussianDecoder(_linear_net(2, 4))
    with torch.no_grad():
        gaussian.log_var.fill_(-1.0)
    expected = torch.distributions.Normal(gaussian.net(z), math.exp(-0.5)).log_prob(x_levels).sum(-1)
    torch.testing.assert_close(gaussian.log_prob(x_levels, z), expected)
    assert [p is gaussian.log_var for p in gaussian.parameters()].count(True) == 1
    assert not any(p.dim() == 0 for p in GaussianDecoder(_linear_net(2, 4), learn_variance=False).parameters())


def test_categorical_decoder_normalizes_over_the_levels():
    decoder = CategoricalDecoder(_linear_net(3, 2 * 5), num_levels=5)
    z = torch.randn(1, 3).expand(25, 3)
    levels = torch.cartesian_prod(torch.arange(5), torch.arange(5))  # every image of 2 pixels
    total = decoder.log_prob(levels, z).exp().sum().item()
    assert total == pytest.approx(1.0, abs=1e-5)
    mean = decoder.mean(z[:1])
    probs = torch.softmax(decoder.logits(z[:1]), -1)
    torch.testing.assert_close(mean, (probs * torch.arange(5.0)).sum(-1))
    samples = decoder.sample(torch.randn(100, 3), generator=torch.Generator().manual_seed(0))
    assert samples.shape == (100, 2) and samples.min() >= 0 and samples.max() <= 4
    assert torch.equal(samples, samples.round())


def test_decoders_reject_bad_data():
    z = torch.randn(5, 2)
    with pytest.raises(ValueError, match="levels"):
        CategoricalDecoder(_linear_net(2, 4 * 17)).log_prob(torch.full((5, 4), 17.0), z)
    with pytest.raises(ValueError, match="integer"):
        CategoricalDecoder(_linear_net(2, 4 * 17)).log_prob(torch.full((5, 4), 0.5), z)
    with pytest.raises(ValueError, match="binary"):
        BernoulliDecoder(_linear_net(2, 4)).log_prob(torch.full((5, 4), 2.0), z)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        BernoulliDecoder(_linear_net(2, 4)).log_prob(torch.zeros(5, 3), z)
    with pytest.raises(TypeError, match="net"):
        GaussianEncoder("not a module")


def _small_digits_vae(**kwargs):
    torch.manual_seed(0)
    return vae_for_digits(**{"latent_dim": 4, "hidden_features": 32, "dropout": 0.0, **kwargs})


def test_vae_interface_shapes():
    vae = _small_digits_vae()
    x = data.load_digits("val")[:10]
    mean, log_var = vae.encode(x)
    assert mean.shape == log_var.shape == (10, 4)
    reconstruction, kl = vae.elbo_terms(x)
    assert reconstruction.shape == kl.shape == (10,) and (kl >= 0).all() and (reconstruction <= 0).all()
    assert vae.elbo(x).shape == (10,)
    assert vae.iwae_bound(x, 3).shape == vae.log_prob_bound(x).shape == (10,)
    assert vae.decode(torch.randn(7, 4)).shape == (7, 64)
    assert vae.reconstruct(x).shape == (10, 64)
    samples = vae.sample(6, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (6, 64) and samples.min() >= 0 and samples.max() <= 16
    per_dimension = vae.kl_per_dimension(x)
    assert per_dimension.shape == (4,)
    torch.testing.assert_close(per_dimension.sum(), gaussian_kl(mean, log_var).mean())
    dropout_vae = _small_digits_vae(dropout=0.5)  # in train mode, but the analysis methods run in eval mode
    torch.testing.assert_close(dropout_vae.reconstruct(x), dropout_vae.reconstruct(x))
    torch.testing.assert_close(dropout_vae.kl_per_dimension(x), dropout_vae.kl_per_dimension(x))
    assert dropout_vae.training
    for decoder, x, kwargs in (("bernoulli", data.load_digits("val", binarize=True)[:10], {}), ("gaussian", x, {}),
                               ("categorical", x, {"level_rank": None})):  # full Linear output layer
        other = _small_digits_vae(decoder=decoder, **kwargs)
        assert other.elbo(x).shape == (10,) and other.sample(2).shape == (2, 64)


def test_vae_loss_is_negative_elbo_in_eval_mode_and_uses_the_warmup_in_training():
    vae = _small_digits_vae(kl_warmup_steps=4)
    x = data.load_digits("val")[:20]
    vae.eval()
    torch.manual_seed(1)
    loss = vae.loss(x)
    torch.manual_seed(1)
    torch.testing.assert_close(loss, -vae.elbo(x).mean())
    vae.train()
    weights = []
    for _ in range(6):
        weights.append(vae.kl_weight())
        torch.manual_seed(2)
        reconstruction, kl = vae.elbo_terms(x)
        torch.manual_seed(2)
        torch.testing.assert_close(vae.loss(x), -(reconstruction - weights[-1] * kl).mean())
    assert weights == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_vae_gradients_reach_the_encoder_through_the_sample():
    vae = _small_digits_vae()
    x = data.load_digits("val")[:20]
    reconstruction, _ = vae.elbo_terms(x)
    reconstruction.mean().backward()  # no KL: the encoder is reached only through z = mean + std * eps
    last_layer = vae.encoder.net[1][-1]
    assert last_layer.weight.grad is not None
    mean_rows, log_var_rows = last_layer.weight.grad.chunk(2)
    assert mean_rows.abs().sum() > 0 and log_var_rows.abs().sum() > 0


def test_vae_training_improves_the_elbo_and_uses_the_latents():
    from dgm_utils.train import fit

    vae = _small_digits_vae()
    x_train, x_val = data.load_digits("train"), data.load_digits("val")
    with torch.no_grad():
        before = -vae.elbo(x_val).mean().item()
    fit(vae, x_train, num_steps=400, batch_size=100, lr=3e-3, progress=False, device="cpu")
    with torch.no_grad():
        vae.eval()
        after = -vae.elbo(x_val).mean().item()
        iwae = -vae.iwae_bound(x_val, 50, generator=torch.Generator().manual_seed(0)).mean().item()
    assert after < before - 40 and after < 115  # independent pixels (the marginals) cost about 106
    assert iwae < after
    assert vae.kl_per_dimension(x_val).max() > 0.3  # not collapsed: at least one latent carries information


def test_vae_rejects_bad_input():
    vae = _small_digits_vae()
    with pytest.raises(TypeError, match="x must be"):
        vae.elbo([[0.0] * 64])
    with pytest.raises(ValueError, match=r"\(N, 64\)"):
        vae.elbo(torch.zeros(64))
    with pytest.raises(ValueError, match=r"\(N, 64\)"):
        vae.elbo(torch.zeros(3, 10))
    with pytest.raises(ValueError, match="num_samples must"):
        vae.iwae_bound(torch.zeros(3, 64), 0)
    with pytest.raises(ValueError, match="decoder must be one of"):
        vae_for_digits(decoder="poisson")
    with pytest.raises(ValueError, match="mean"):
        reparameterize(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(TypeError, match="mean"):
        gaussian_kl([0.0], torch.zeros(1))
    with pytest.raises(ValueError, match="latent_dim"):
        ProbabilisticPCA(3, 4)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3\)"):
        ProbabilisticPCA(3, 2).log_prob(torch.zeros(2, 4))


def test_vae_from_pluggable_parts():
    torch.manual_seed(0)
    vae = VAE(GaussianEncoder(torch.nn.Linear(6, 2 * 3)), BernoulliDecoder(torch.nn.Linear(3, 6)), latent_dim=3,
              beta=2.0, num_features=6)
    x = (torch.rand(9, 6) < 0.5).float()
    assert vae.elbo(x).shape == vae.iwae_bound(x, 4).shape == (9,)
    assert vae.sample(5).shape == (5, 6) and set(vae.sample(5).unique().tolist()) <= {0.0, 1.0}
    assert vae.kl_weight() == 2.0  # a beta-VAE in training mode
    vae.loss(x).backward()
    assert all(p.grad is not None for p in vae.parameters())
    with pytest.raises(ValueError, match="encoder must return"):
        VAE(GaussianEncoder(torch.nn.Linear(6, 2 * 4)), BernoulliDecoder(torch.nn.Linear(3, 6)), latent_dim=3).elbo(x)
