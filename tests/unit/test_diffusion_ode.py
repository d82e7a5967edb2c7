"""dgm_utils.diffusion: the ODE solver and its divergence, the mixture oracles, the probability-flow ODE, flow matching
and the denoisers.

With the exact oracles the ODE likelihood must reproduce the true log-density of the mixture (up to the solver's
tolerance), and samples must match exact samples: MMD^2 against the spread of MMD^2 between two exact samples of the
same size (its standard deviation measured on the spot, about 5e-4 at n = 1000).
"""

import math

import pytest
import torch
from torch import nn

from dgm_utils import data, diffusion, metrics, train
from dgm_utils.distributions import mixture_log_prob

RING = data.ring()


def _mmd_floor(n=1000, repeats=5):
    """(mean, std) of MMD^2 between two exact ring samples of size n: the floor a perfect sampler reaches."""
    reference = RING.sample(n, generator=torch.Generator().manual_seed(100))
    return (reference, *metrics.mmd2_floor(RING, reference, repeats=repeats, seed=200))


# --- the solver ----------------------------------------------------------------------------------------------------

def test_a_linear_ode_and_its_divergence_exact_and_hutchinson():
    matrix = torch.tensor([[-1.0, 2.0, 0.0], [0.5, -0.5, 1.0], [0.0, -1.0, 0.3]], dtype=torch.float64)

    def velocity(x, s):
        return x @ matrix.T

    x = torch.randn(400, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    exact = diffusion.integrate_ode(velocity, x, 0.0, 1.0, divergence="exact", dtype=torch.float64, rtol=1e-8,
                                    atol=1e-8)
    assert torch.allclose(exact.x, x @ torch.linalg.matrix_exp(matrix).T, atol=1e-6)
    trace = float(torch.diagonal(matrix).sum())
    assert torch.allclose(exact.divergence_integral, torch.full((400,), trace, dtype=torch.float64), atol=1e-8)
    # Hutchinson: v^T A v per example with Rademacher v, unbiased for tr A, with the spread of its off-diagonal terms
    estimate = diffusion.integrate_ode(velocity, x, 0.0, 1.0, divergence="hutchinson", dtype=torch.float64,
                                       generator=torch.Generator().manual_seed(1)).divergence_integral
    se = float(estimate.std()) / math.sqrt(400)
    assert abs(float(estimate.mean()) - trace) < 4 * se and float(estimate.std()) > 0.1  # stochastic, unbiased
    backwards = diffusion.integrate_ode(velocity, exact.x, 1.0, 0.0, dtype=torch.float64, rtol=1e-8, atol=1e-8)
    assert torch.allclose(backwards.x, x, atol=1e-6) and backwards.divergence_integral is None


def test_a_velocity_that_returns_nan_stops_the_solver_with_the_time():
    with pytest.raises(FloatingPointError, match=r"time s = .*trained"):
        diffusion.integrate_ode(lambda x, s: x * math.nan, torch.ones(2, 2), 0.0, 1.0)
    with pytest.raises(ValueError, match="divergence"):
        diffusion.integrate_ode(lambda x, s: x, torch.ones(2, 2), 0.0, 1.0, divergence="trace")


# --- the oracles -------------------------------------------------------------------------------------------------

def test_the_oracle_score_is_the_gradient_of_the_noised_mixture_log_density():
    a, b = 0.6, 0.7
    x = RING.sample(50, generator=torch.Generator().manual_seed(0)).double().requires_grad_(True)
    noised_log_std = 0.5 * torch.log(a ** 2 * RING.stds.double() ** 2 + b ** 2)
    log_p = mixture_log_prob(x, a * RING.means.double(), noised_log_std, RING.logits.double())
    (gradient,) = torch.autograd.grad(log_p.sum(), x)
    assert torch.allclose(diffusion.noised_mixture_score(x.detach(), RING, a, b), gradient, atol=1e-10)
    # Tweedie: E[x_0 | x] = (x + b^2 score) / a
    x0, eps = diffusion.mixture_posterior_means(x.detach(), RING, a, b)
    assert torch.allclose(x0, (x.detach() + b ** 2 * gradient) / a, atol=1e-10)
    assert torch.allclose(eps, -b * gradient, atol=1e-10)


def test_the_oracle_probability_flow_likelihood_is_the_true_log_density():
    schedule = diffusion.make_schedule("linear", 1000)
    model = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(RING, schedule), schedule, (2,)).double()
    x = RING.sample(50, generator=torch.Generator().manual_seed(5)).double()
    log_p = diffusion.probability_flow_log_likelihood(model, x, rtol=1e-7, atol=1e-7)
    error = log_p - RING.log_prob(x)
    assert float(error.abs().max()) < 2e-3, float(error.abs().max())  # measured 1.7e-4
    # the oracle of a wider ring gives the wider ring's density, not this one's: the likelihood follows the score
    wider = data.ring(std=0.3)
    other = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(wider, schedule), schedule, (2,)).double()
    other_log_p = diffusion.probability_flow_log_likelihood(other, x[:20], rtol=1e-7, atol=1e-7)
    assert torch.allclose(other_log_p, wider.log_prob(x[:20]), atol=2e-3)
    assert float((other_log_p - RING.log_prob(x[:20])).abs().mean()) > 0.1
    # Hutchinson's estimate agrees in the mean over examples
    estimate = diffusion.probability_flow_log_likelihood(model, x, divergence="hutchinson",
                                                         generator=torch.Generator().manual_seed(0))
    difference = estimate - log_p
    assert abs(float(difference.mean())) < 4 * float(difference.std()) / math.sqrt(50) + 2e-3


def test_oracle_sampling_reaches_the_mmd_floor_and_ddim_converges_to_the_ode():
    reference, floor, spread = _mmd_floor()
    schedule = diffusion.make_schedule("linear", 200)
    model = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(RING, schedule), schedule, (2,))
    for samples in (model.sample(1000, generator=torch.Generator().manual_seed(0)),
                    model.ddim_sample(1000, 50, generator=torch.Generator().manual_seed(0))):
        assert float(metrics.mmd2(samples, reference)) < floor + 4 * spread, (floor, spread)
    # a sampler that ignores the score (eps = 0 throughout) is far from the floor
    blind = diffusion.GaussianDiffusion(diffusion.MLPDenoiser(2, hidden=8, layers=1), schedule, (2,))
    assert float(metrics.mmd2(blind.ddim_sample(1000, 50, generator=torch.Generator().manual_seed(0)),
                              reference)) > floor + 20 * spread
    # DDIM with eta = 0 is a discretization of the probability-flow ODE: from the same x_T it converges to it
    model = model.double()
    x_T = model.prior_sample(200, torch.Generator().manual_seed(3))
    ode = diffusion.probability_flow_sample(model, 200, x_T=x_T, rtol=1e-7, atol=1e-7)
    errors = [float((model.ddim_sample(200, k, x_T=x_T) - ode).abs().mean()) for k in (20, 200)]
    assert errors[1] < 0.01 and errors[0] > 3 * errors[1], errors  # measured 0.004 at 200 steps, ~1/k


# --- flow matching ----------------------------------------------------------------------------------------------

def test_flow_matching_with_the_oracle_velocity_has_the_true_density_and_samples():
    model = diffusion.FlowMatching(diffusion.MixtureVelocityOracle(RING), (2,), rtol=1e-7, atol=1e-7).double()
    x = RING.sample(100, generator=torch.Generator().manual_seed(5)).double()
    error = model.log_prob(x) - RING.log_prob(x)
    assert float(error.abs().max()) < 2e-3, float(error.abs().max())
    reference, floor, spread = _mmd_floor()
    samples = model.sample(1000, num_steps=50, generator=torch.Generator().manual_seed(0)).float()
    assert float(metrics.mmd2(samples, reference)) < floor + 4 * spread
    ode = model.sample(200, method="ode", generator=torch.Generator().manual_seed(1))
    euler = model.sample(200, num_steps=400, generator=torch.Generator().manual_seed(1))
    assert float((ode - euler).abs().mean()) < 0.01


def test_the_oracle_velocity_minimizes_the_flow_matching_loss():
    # L(v) = E|v - v*|^2 + const: scaling the exact velocity by 1.1 must cost E|0.1 v*|^2 more (same draws)
    oracle = diffusion.MixtureVelocityOracle(RING)

    class Scaled(nn.Module):
        def forward(self, x, time, labels=None):
            return 1.1 * oracle(x, time)

    x = RING.sample(20_000, generator=torch.Generator().manual_seed(0))
    exact = diffusion.FlowMatching(oracle, (2,)).loss(x, generator=torch.Generator().manual_seed(1))
    scaled = diffusion.FlowMatching(Scaled(), (2,)).loss(x, generator=torch.Generator().manual_seed(1))
    assert float(scaled) > float(exact) + 0.01, (float(exact), float(scaled))


def test_flow_matching_trains_through_fit():
    toy = data.GaussianMixture2D([[0.0, 0.0]], 0.5)
    model = diffusion.FlowMatching(diffusion.MLPDenoiser(2, hidden=32, layers=2, time_dim=16), (2,))
    x = toy.sample(2048, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = float(model.loss(x, generator=torch.Generator().manual_seed(1)))
    train.fit(model, x, num_steps=100, batch_size=256, lr=3e-3, progress=False)
    with torch.no_grad():
        after = float(model.loss(x, generator=torch.Generator().manual_seed(1)))
    assert after < 0.8 * before, (before, after)


# --- denoisers and bad input -------------------------------------------------------------------------------------

def test_the_denoisers_read_the_time_and_the_label():
    torch.manual_seed(0)
    for net, x in ((diffusion.MLPDenoiser(2, hidden=16, layers=1, time_dim=8, num_classes=3), torch.randn(4, 2)),
                   (diffusion.ConvDenoiser(channels=8, num_blocks=1, time_dim=8, num_classes=3), torch.randn(4, 64))):
        with torch.no_grad():
            for parameter in net.parameters():  # leave the zero start, so the output depends on its inputs
                parameter.add_(0.1 * torch.randn_like(parameter))
        time = torch.full((4,), 0.3)
        out = net(x, time, torch.tensor([0, 1, 2, 3]))
        assert out.shape == x.shape
        assert not torch.allclose(out, net(x, time + 0.01, torch.tensor([0, 1, 2, 3])))
        assert not torch.allclose(out, net(x, time, torch.tensor([1, 1, 2, 3])))
        with pytest.raises(ValueError, match="shape"):
            net(x[:, :1], time)
    with pytest.raises(ValueError, match="unconditional"):
        diffusion.MLPDenoiser(2, hidden=4, layers=1, time_dim=4)(torch.zeros(2, 2), torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="even"):
        diffusion.MLPDenoiser(2, time_dim=5)


def test_the_levels_model_diffuses_on_the_grid_and_samples_levels():
    schedule = diffusion.make_schedule("cosine", 8)
    model = diffusion.GaussianDiffusion(diffusion.ConvDenoiser(channels=4, num_blocks=1, time_dim=4), schedule, (64,),
                                        num_levels=17)
    digits = data.load_digits("train")[:3]
    assert torch.allclose(model.to_model_space(digits), digits / 8 - 1)
    samples = model.sample(3, generator=torch.Generator().manual_seed(0))
    assert bool(((samples >= 0) & (samples <= 16) & (samples == samples.round())).all())
    log_p = diffusion.probability_flow_log_likelihood(model, digits, generator=torch.Generator().manual_seed(0))
    assert log_p.shape == (3,) and bool(torch.isfinite(log_p).all())


@pytest.mark.parametrize("call, error, match", [
    (lambda: diffusion.FlowMatching(nn.Linear(2, 2), (2,)).loss(torch.zeros(3, 3)), ValueError, r"\(N, 2\)"),
    (lambda: diffusion.FlowMatching(nn.Linear(2, 2), (2,)).sample(2, method="heun"), ValueError, "euler, ode|euler"),
    (lambda: diffusion.FlowMatching("net", (2,)), TypeError, "nn.Module"),
    (lambda: diffusion.MixtureNoiseOracle(data.Checkerboard(), diffusion.make_schedule("cosine", 4)), TypeError,
     "GaussianMixture2D"),
    (lambda: diffusion.MixtureVelocityOracle(RING)(torch.zeros(2, 2), torch.zeros(2), torch.zeros(2)), ValueError,
     "unconditional"),
    (lambda: diffusion.integrate_ode(lambda x, s: x, torch.ones(2, 2), 0.5, 0.5), ValueError, "different"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()
