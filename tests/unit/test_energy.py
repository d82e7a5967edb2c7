"""dgm_utils.energy: Langevin and MALA against the known stationary laws, quadrature against known partition functions.

Tolerances are stated in standard errors of the estimate (chains run long enough to forget their start: on the
Gaussians below the chain contracts by a factor 1 - eps / s^2 per step, so 200 steps leave 0.8^200 ~ 1e-19 of it).
"""

import math

import pytest
import torch

from dgm_utils import base, data, energy

VARIANCE, STEP = 1.0, 0.2  # E(x) = |x|^2 / (2 VARIANCE) in 2-D, ULA/MALA step size


def gaussian_energy(x):
    return (x ** 2).sum(dim=1) / (2 * VARIANCE)  # (N,)


def _chains(num_chains=4000, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return 3.0 * torch.randn(num_chains, 2, generator=generator), generator


def _variance_and_error(x):
    """The pooled variance of both coordinates (mean known to be 0) and its standard error, v sqrt(2 / n)."""
    values = x.double().reshape(-1)
    variance = float((values ** 2).mean())
    return variance, variance * math.sqrt(2.0 / values.numel())


def test_ula_reaches_its_known_biased_stationary_variance_not_the_target():
    x0, generator = _chains()
    x = energy.langevin_sample(gaussian_energy, x0, step_size=STEP, num_steps=200, generator=generator)
    variance, error = _variance_and_error(x)
    expected = energy.ula_gaussian_variance(VARIANCE, STEP)  # 1 / (1 - 0.1) = 1.111
    assert expected == pytest.approx(1 / 0.9)
    assert abs(variance - expected) < 4 * error, (variance, expected, error)
    assert abs(variance - VARIANCE) > 4 * error  # the bias is real and measurable at this step size
    assert abs(float(x.double().mean())) < 4 * math.sqrt(expected / x.numel())


def test_tempered_langevin_targets_the_sharpened_gaussian():
    # x' = (1 - eps / v) x + sqrt(2 eps T) xi is stationary at T v / (1 - eps / (2 v)): T times ULA's variance
    x0, generator = _chains()
    temperature = 0.25
    x = energy.langevin_sample(gaussian_energy, x0, step_size=STEP, num_steps=200, generator=generator,
                               temperature=temperature)
    variance, error = _variance_and_error(x)
    expected = temperature * energy.ula_gaussian_variance(VARIANCE, STEP)
    assert abs(variance - expected) < 4 * error, (variance, expected, error)
    with pytest.raises(ValueError, match="temperature"):
        energy.langevin_sample(gaussian_energy, x0, step_size=STEP, num_steps=2, temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), temperature=-1.0)


def test_mala_removes_the_bias_and_accepts_most_small_steps():
    x0, generator = _chains()
    result = energy.mala_sample(gaussian_energy, x0, step_size=STEP, num_steps=200, generator=generator)
    variance, error = _variance_and_error(result.samples)
    # rejections correlate successive states, not the 8000 pooled values of the final states: same error formula
    assert abs(variance - VARIANCE) < 4 * error, (variance, error)
    assert 0.8 < result.acceptance_rate < 1.0
    big = energy.mala_sample(gaussian_energy, x0, step_size=3.0, num_steps=50, generator=generator)
    assert big.acceptance_rate < 0.5 * result.acceptance_rate  # large steps are rejected more often


def test_samplers_are_reproducible_with_a_generator_and_accept_an_energy_model():
    class Quadratic(base.EnergyModel):
        def energy(self, x, *, context=None):
            return gaussian_energy(x)

    x0 = torch.zeros(5, 2)
    first = energy.langevin_sample(Quadratic(), x0, step_size=0.1, num_steps=3,
                                   generator=torch.Generator().manual_seed(1))
    again = energy.langevin_sample(gaussian_energy, x0, step_size=0.1, num_steps=3,
                                   generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, again) and not torch.equal(first, x0)
    assert torch.equal(x0, torch.zeros(5, 2))  # the start is not modified in place


def test_energy_gradient_is_the_gradient_of_each_row():
    x = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    values, gradient = energy.energy_gradient(gaussian_energy, x)
    assert torch.allclose(values, torch.tensor([2.5, 4.625]))
    assert torch.allclose(gradient, x / VARIANCE)


def test_a_diverging_chain_stops_with_the_step_and_the_likely_cause():
    with pytest.raises(FloatingPointError, match=r"step \d+.*step size"):
        energy.langevin_sample(lambda x: (x ** 4).sum(dim=1), torch.full((3, 2), 2.0), step_size=1.0, num_steps=50)
    with pytest.raises(FloatingPointError, match="left the data range"):
        energy.langevin_sample(lambda x: -(x ** 2).sum(dim=1), torch.ones(3, 2), step_size=0.1, num_steps=50,
                               bounds=(-4, 4))


@pytest.mark.parametrize("call, error, match", [
    (lambda: energy.langevin_sample(gaussian_energy, torch.zeros(3), step_size=0.1, num_steps=2), ValueError,
     r"\(N, D\)"),
    (lambda: energy.langevin_sample(gaussian_energy, torch.zeros(3, 2, dtype=torch.long), step_size=0.1,
                                    num_steps=2), TypeError, "floating"),
    (lambda: energy.langevin_sample(gaussian_energy, torch.zeros(3, 2), step_size=-0.1, num_steps=2), ValueError,
     "step_size"),
    (lambda: energy.mala_sample(gaussian_energy, torch.zeros(3, 2), step_size=0.1, num_steps=0), ValueError,
     "num_steps"),
    (lambda: energy.langevin_sample(lambda x: x.sum(), torch.zeros(3, 2), step_size=0.1, num_steps=2), ValueError,
     r"one value per row"),
    (lambda: energy.langevin_sample("quadratic", torch.zeros(3, 2), step_size=0.1, num_steps=2), TypeError,
     "energy"),
    (lambda: energy.langevin_sample(gaussian_energy, torch.zeros(3, 2), step_size=0.1, num_steps=2,
                                    bounds=(1, -1)), ValueError, "low < high"),
    (lambda: energy.ula_gaussian_variance(1.0, 2.0), ValueError, "diverges"),
    (lambda: energy.log_partition(gaussian_energy, ((1, -1), (0, 1))), ValueError, "bounds"),
    (lambda: energy.log_partition_refinement(gaussian_energy, data.ring().bounds, (200, 100)), ValueError,
     "increasing"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_log_partition_of_a_gaussian_and_its_refinement():
    bounds = ((-8.0, 8.0), (-8.0, 8.0))
    assert energy.log_partition(gaussian_energy, bounds) == pytest.approx(math.log(2 * math.pi), abs=1e-5)
    # energies far from 0 neither overflow nor underflow
    assert energy.log_partition(lambda x: gaussian_energy(x) + 1000.0, bounds) == pytest.approx(
        math.log(2 * math.pi) - 1000.0, abs=1e-3)
    # exp(-x - y) on the unit square does not vanish at the edges: the midpoint rule's error is then ~ 1 / res^2,
    # 4x smaller per halving, and the difference of the two finest grids bounds the finest one's error
    unit = ((0.0, 1.0), (0.0, 1.0))
    rows, estimate = energy.log_partition_refinement(lambda x: x.sum(dim=1), unit, (10, 20, 40))
    errors = [abs(log_z - 2 * math.log(1 - math.exp(-1))) for _, log_z in rows]
    assert 3.5 < errors[0] / errors[1] < 4.5 and 3.5 < errors[1] / errors[2] < 4.5, errors
    assert errors[2] <= estimate < 4 * errors[2], (errors, estimate)
    # a narrow Gaussian well inside its box: far faster than 1 / res^2 once the cells resolve it
    rows, estimate = energy.log_partition_refinement(lambda x: (x ** 2).sum(dim=1) / (2 * 0.1 ** 2),
                                                     ((-1.0, 1.0), (-1.0, 1.0)), (10, 20, 40))
    errors = [abs(log_z - math.log(2 * math.pi * 0.1 ** 2)) for _, log_z in rows]
    assert errors[0] > 0.01 and errors[2] <= estimate < 1e-6, (errors, estimate)
    with pytest.raises(FloatingPointError, match="NaN"):
        energy.log_partition(lambda x: torch.full((x.shape[0],), math.nan), bounds)


def test_quadrature_normalizes_a_toy_energy_back_to_its_density():
    ring = data.ring()
    model = energy.QuadratureNormalized(lambda x: -ring.log_prob(x) + 3.0, ring.bounds)  # Z = exp(-3)
    assert model.log_z == pytest.approx(-3.0, abs=1e-3)
    x = ring.sample(100, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(model.log_prob(x), ring.log_prob(x), atol=1e-3)
    (x_low, _), _ = ring.bounds
    outside = torch.tensor([[x_low - 0.5, 0.0]])  # scored by the same formula (Z counts the box only)
    assert torch.allclose(model.log_prob(outside), ring.log_prob(outside), atol=1e-3)
    # its samples are those of the ring: mean radius and the spread around it agree with exact samples
    samples = model.sample(4000, generator=torch.Generator().manual_seed(1))
    exact = ring.sample(4000, generator=torch.Generator().manual_seed(2))
    radius, radius_exact = samples.norm(dim=1), exact.norm(dim=1)
    assert abs(float(radius.mean() - radius_exact.mean())) < 4 * float(radius_exact.std()) * math.sqrt(2 / 4000)
    assert abs(float(radius.std() / radius_exact.std()) - 1) < 0.1
    assert isinstance(model, base.ExactLikelihoodModel)


# --- score matching ---------------------------------------------------------------------------------------------

def _mlp_energy(seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Softplus(), torch.nn.Linear(16, 1))
    return lambda x: net(x)[:, 0] + 0.5 * (x ** 2).sum(dim=1), net


def test_score_of_an_energy_is_minus_its_gradient():
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(energy.score_of_energy(gaussian_energy)(x), -x / VARIANCE)


def test_exact_score_matching_has_its_closed_form_and_gradient_on_a_quadratic_energy():
    x = 1.5 * torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    theta = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    loss = energy.exact_score_matching_loss(lambda y: theta * (y ** 2).sum(dim=1) / 2, x)
    squared = float((x ** 2).sum(dim=1).mean())  # E |x|^2
    # J(theta) = theta^2 E|x|^2 / 2 - D theta, dJ/dtheta = theta E|x|^2 - D
    assert float(loss.detach()) == pytest.approx(0.7 ** 2 * squared / 2 - 2 * 0.7, rel=1e-10)
    loss.backward()
    assert float(theta.grad) == pytest.approx(0.7 * squared - 2, rel=1e-10)


@pytest.mark.parametrize("projection", energy.PROJECTIONS)
@pytest.mark.parametrize("variance_reduced", [False, True])
def test_sliced_score_matching_agrees_with_exact_in_expectation(projection, variance_reduced):
    e, _ = _mlp_energy()
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    exact = float(energy.exact_score_matching_loss(e, x).detach())
    generator = torch.Generator().manual_seed(2)
    means = torch.tensor([float(energy.sliced_score_matching_loss(
        energy.score_of_energy(e), x, num_projections=250, projection=projection, variance_reduced=variance_reduced,
        generator=generator).detach()) for _ in range(20)])
    standard_error = float(means.std()) / math.sqrt(len(means))
    assert abs(float(means.mean()) - exact) < 4 * standard_error + 1e-6, (float(means.mean()), exact, standard_error)


def test_sliced_score_matching_trains_the_energy_parameters():
    e, net = _mlp_energy()
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(1))
    energy.sliced_score_matching_loss(energy.score_of_energy(e), x, generator=torch.Generator()).backward()
    *shaping, last_bias = net.parameters()  # a constant added to E does not change the score
    assert all(p.grad is not None and bool(p.grad.abs().sum() > 0) for p in shaping)
    assert last_bias.grad is None or not bool(last_bias.grad.any())


# at sigma^2 << variance the clean score is nearly the noised one: their losses differ by less than the error
@pytest.mark.parametrize("variance, sigma, clean_is_distinguishable", [(0.5, 1.0, True), (2.0, 0.3, False)])
def test_denoising_score_matching_reaches_its_analytic_minimum_at_the_noised_score(variance, sigma,
                                                                                  clean_is_distinguishable):
    n = 200_000
    x = math.sqrt(variance) * torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    minimum = energy.dsm_gaussian_minimum(variance, sigma, 2)
    c = variance / (sigma ** 2 * (variance + sigma ** 2))  # per-coordinate variance of s(x~) + eps / sigma
    standard_error = c * math.sqrt(2 / 2) / math.sqrt(n)  # 1/2 |a|^2 = c chi2_2 / 2 has variance c^2 D / 2
    noised = energy.denoising_score_matching_loss(lambda y: -y / (variance + sigma ** 2), x, sigma,
                                                  generator=torch.Generator().manual_seed(1))
    assert abs(float(noised) - minimum) < 4 * standard_error, (float(noised), minimum, standard_error)
    if clean_is_distinguishable:
        clean = energy.denoising_score_matching_loss(lambda y: -y / variance, x, sigma,
                                                     generator=torch.Generator().manual_seed(1))
        assert float(clean) > minimum + 20 * standard_error  # the clean data's score is not the minimizer


def test_antithetic_denoising_score_matching_keeps_the_gradient_and_removes_its_small_sigma_noise():
    # s_theta(y) = -theta y on N(0, I) data: the per-example gradient in theta is theta |y|^2 - y . eps / sigma with
    # y = x + sigma eps, whose x . eps / sigma part (variance D / sigma^2) cancels between eps and -eps. Its
    # expectation is theta D (1 + sigma^2) - D either way: 0 at the noised data's score, theta = 1 / (1 + sigma^2).
    sigma, n, d = 0.05, 2000, 2
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def gradients(antithetic, theta_value):
        values = []
        for seed in range(40):
            theta = torch.tensor(theta_value, dtype=torch.float64, requires_grad=True)
            loss = energy.denoising_score_matching_loss(lambda y: -theta * y, x, sigma, antithetic=antithetic,
                                                        generator=torch.Generator().manual_seed(seed))
            (gradient,) = torch.autograd.grad(loss, theta)
            values.append(float(gradient))
        return torch.tensor(values, dtype=torch.float64)

    optimum = 1 / (1 + sigma ** 2)
    plain, paired = gradients(False, optimum), gradients(True, optimum)
    assert float(paired.std()) < float(plain.std()) / 10, (float(paired.std()), float(plain.std()))
    # the mean over the 40 draws, within 4 of its standard errors of the expectation (x is fixed: its own
    # sampling error, theta (|x|^2 mean - D) ~ 0.06 here, is added)
    x_term = optimum * float((x ** 2).sum(dim=1).mean() - d)
    for draws in (plain, paired):
        error = float(draws.std()) / math.sqrt(len(draws))
        assert abs(float(draws.mean()) - x_term) < 4 * error + 1e-6, (float(draws.mean()), x_term, error)
    with pytest.raises(TypeError, match="antithetic"):
        energy.denoising_score_matching_loss(lambda y: -y, x, sigma, antithetic=1)


@pytest.mark.parametrize("call, error, match", [
    (lambda: energy.sliced_score_matching_loss(lambda x: -x, torch.zeros(3, 2), projection="uniform"), ValueError,
     "projection"),
    (lambda: energy.sliced_score_matching_loss(lambda x: -x[:, :1], torch.zeros(3, 2)), ValueError, "same shape"),
    (lambda: energy.denoising_score_matching_loss(lambda x: -x, torch.zeros(3, 2), 0.0), ValueError, "sigma"),
    (lambda: energy.denoising_score_matching_loss(lambda x: -x, torch.zeros(3), 0.1), ValueError, r"\(N, D\)"),
    (lambda: energy.exact_score_matching_loss(gaussian_energy, torch.zeros(0, 2)), ValueError, "at least 1"),
])
def test_score_matching_refuses_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- energy networks and contrastive divergence -------------------------------------------------------------------

def test_mlp_energy_scores_samples_and_refuses_bad_input():
    model = energy.MLPEnergy(2, hidden=8, layers=2, confinement=1.0, sampler_steps=5)
    x = torch.randn(4, 2, generator=torch.Generator().manual_seed(0))
    assert model.energy(x).shape == (4,) and model.score(x).shape == (4, 2)
    assert torch.allclose(model.score(x), energy.score_of_energy(model.energy)(x))
    first = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(first, model.sample(6, generator=torch.Generator().manual_seed(1)))
    assert first.shape == (6, 2) and model.sample(0).shape == (0, 2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        model.energy(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="low < high"):
        energy.MLPEnergy(2, init_bounds=(1, 1))
    with pytest.raises(base.DensityNotAvailable):
        model.log_prob(x)


def test_contrastive_divergence_gives_the_likelihood_gradient_of_a_gaussian_energy():
    # E_theta(x) = theta |x|^2 / 2 in 2-D: dNLL/dtheta = mean |x|^2 / 2 - D / (2 theta). With negatives from long
    # chains (step 0.01: ULA's variance bias is 1/(1 - 0.01 theta / 2), 0.25% here) the CD gradient matches it.
    theta = torch.tensor(0.5, requires_grad=True)
    model = lambda x: theta * (x ** 2).sum(dim=1) / 2  # noqa: E731
    data_x = torch.randn(4000, 2, generator=torch.Generator().manual_seed(0))  # theta_true = 1
    cd = energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), num_steps=600, step_size=0.01, alpha=0.0,
                                      generator=torch.Generator().manual_seed(1))
    cd(model, data_x).backward()
    exact = float((data_x ** 2).sum(dim=1).mean() / 2 - 2 / (2 * 0.5))
    # |x|^2 / 2 has variance 1 for the data (N(0, I)) and 4 for the negatives (N(0, 2 I)); the chains (600 steps
    # from 0, contracting by 1 - 0.005 per step) reach 99.75% of their stationary variance: 0.01 covers both biases
    standard_error = math.sqrt(1 / 4000 + 4 / 4000)
    assert abs(float(theta.grad) - exact) < 4 * standard_error + 0.01, (float(theta.grad), exact, standard_error)
    assert cd.last_negatives.shape == (4000, 2)


def test_contrastive_divergence_with_mala_chains_removes_the_step_size_bias_of_ula():
    # the Gaussian of the test above at a large step, 0.5: ULA's negatives have variance 2 / (1 - 0.5 * 0.5 / 2),
    # 14% too large, so its gradient is off by -0.29 (16 standard errors); MALA's chains target the model exactly
    theta = torch.tensor(0.5, requires_grad=True)
    model = lambda x: theta * (x ** 2).sum(dim=1) / 2  # noqa: E731
    data_x = torch.randn(16000, 2, generator=torch.Generator().manual_seed(0))
    exact = float((data_x ** 2).sum(dim=1).mean() / 2 - 2 / (2 * 0.5))
    standard_error = math.sqrt(1 / 16000 + 4 / 16000)
    gradients, rates = {}, {}
    for sampler in energy.SAMPLERS:
        cd = energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), num_steps=100, step_size=0.5, alpha=0.0,
                                          sampler=sampler, generator=torch.Generator().manual_seed(1))
        theta.grad = None
        cd(model, data_x).backward()
        gradients[sampler], rates[sampler] = float(theta.grad), cd.last_acceptance_rate
    assert abs(gradients["mala"] - exact) < 4 * standard_error, (gradients, exact, standard_error)
    assert gradients["langevin"] - exact < -8 * standard_error, (gradients, exact, standard_error)
    assert rates["langevin"] is None and 0.5 < rates["mala"] < 1.0, rates
    with pytest.raises(ValueError, match="sampler"):
        energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), sampler="hmc")
    with pytest.raises(ValueError, match="temperature"):
        energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), sampler="mala", temperature=0.5)


def test_the_replay_buffer_continues_chains_and_restarts_a_fraction():
    buffer = energy.ReplayBuffer(lambda n: torch.full((n, 1), -1.0), 50, reinit=0.2,
                                 generator=torch.Generator().manual_seed(0))
    states = buffer.draw(40)
    assert bool((states == -1).all())
    buffer.push(torch.arange(40, dtype=torch.float32)[:, None] + 1)
    assert int((buffer.states >= 1).sum()) > 20  # the pushed states were stored
    fresh = int((buffer.draw(1000) == -1).sum())
    assert fresh > 200  # at least the reinit fraction is noise (more: slots never pushed still hold noise)
    with pytest.raises(RuntimeError, match="draw"):
        energy.ReplayBuffer(lambda n: torch.zeros(n, 1), 5).push(torch.zeros(2, 1))
    with pytest.raises(ValueError, match="probability"):
        energy.ReplayBuffer(lambda n: torch.zeros(n, 1), 5, reinit=2.0)


def test_persistent_contrastive_divergence_trains_through_fit():
    from dgm_utils import train

    model = energy.MLPEnergy(2, hidden=16, layers=2, confinement=0.1)
    cd = energy.ContrastiveDivergence(model.initial_points, num_steps=10, step_size=0.05, buffer_size=64,
                                      generator=torch.Generator().manual_seed(0))
    history = train.fit(model, data.ring(), loss_fn=cd, num_steps=3, batch_size=32, progress=False)
    assert history.num_steps == 3 and cd.buffer.states.shape == (64, 2)


def test_an_exploding_energy_stops_contrastive_divergence_with_the_call_and_the_cause():
    from dgm_utils import train

    class Linear(base.EnergyModel):  # E = w . x: unbounded below, CD pushes w up without limit at lr 10
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(2))

        def energy(self, x, *, context=None):
            return x @ self.w

    cd = energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), num_steps=2, step_size=0.01, alpha=0.0,
                                      max_energy=100.0)
    toy = data.GaussianMixture2D([[50.0, 50.0]], 1.0)
    with pytest.raises(FloatingPointError, match=r"call \d+: an energy reached .*exploding.*lower learning rate"):
        train.fit(Linear(), toy, loss_fn=cd, num_steps=50, batch_size=16, lr=10.0, progress=False)
    assert 1 < cd.calls < 50  # it ran a few steps before it stopped
    unchecked = energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), num_steps=2, step_size=0.01, alpha=0.0,
                                             max_energy=None)
    train.fit(Linear(), toy, loss_fn=unchecked, num_steps=5, batch_size=16, lr=10.0, progress=False)
    with pytest.raises(ValueError, match="max_energy"):
        energy.ContrastiveDivergence(lambda n: torch.zeros(n, 2), max_energy=0.0)


# --- noise-contrastive estimation -----------------------------------------------------------------------------

def _gaussian(std):
    return data.GaussianMixture2D(torch.zeros(1, 2), torch.full((1, 2), float(std)))


def test_nce_recovers_the_precision_and_log_z_of_a_gaussian():
    # data N(0, I), model log p = -theta |x|^2 / 2 - c, noise N(0, 2^2 I): the optimum is theta = 1, c = log(2 pi)
    x = _gaussian(1.0).sample(20_000, generator=torch.Generator().manual_seed(0)).double()
    noise = _gaussian(2.0)
    y = noise.sample(40_000, generator=torch.Generator().manual_seed(1)).double()  # nu = 2
    theta = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([theta, c], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = energy.nce_loss(lambda u: -theta * (u ** 2).sum(dim=1) / 2 - c, x, y,
                               lambda u: noise.log_prob(u).double())
        loss.backward()
        return loss

    optimizer.step(closure)
    # the estimator's standard deviation at N = 20000 is about 0.01 for both (asymptotic NCE variance)
    theta, c = float(theta.detach()), float(c.detach())
    assert abs(theta - 1.0) < 0.05 and abs(c - math.log(2 * math.pi)) < 0.05, (theta, c)


def test_nce_trains_an_energy_network_with_its_log_z_through_fit():
    from dgm_utils import train

    model = energy.MLPEnergy(2, hidden=16, layers=2, learn_log_z=True)
    nce = energy.NoiseContrastiveEstimation(_gaussian(3.0), noise_ratio=2, generator=torch.Generator().manual_seed(0))
    before = float(model.log_z.detach())
    train.fit(model, data.ring(), loss_fn=nce, num_steps=20, batch_size=64, lr=1e-2, progress=False)
    assert float(model.log_z.detach()) != before
    with pytest.raises(TypeError, match="log_z"):
        nce(energy.MLPEnergy(2, hidden=4, layers=1), torch.zeros(4, 2))
    with pytest.raises(TypeError, match="sample"):
        energy.NoiseContrastiveEstimation(object())
    with pytest.raises(ValueError, match="one value per row"):
        energy.nce_loss(lambda u: u, torch.zeros(3, 2), torch.zeros(3, 2), lambda u: u.sum(dim=1))
