"""dgm_utils.diffusion: schedules, the forward process, ancestral and DDIM sampling, the variational bound, guidance.

Oracles replace trained networks, so every figure below is known in advance: the exact noise of a point mass (the
loss is then zero and the bound of its levels 0 nats) and of a Gaussian (ancestral sampling then has a final variance
given by a linear recursion). Tolerances are stated in standard errors (SE) of the estimate.
"""

import math

import pytest
import torch
from torch import nn

from dgm_utils import data, diffusion, train

RING = data.ring()


class PointMassNoise(nn.Module):
    """The exact eps(x_s, s) = (x_s - sqrt(alpha_bar(s)) c) / sqrt(1 - alpha_bar(s)) of data that is always c;
    ``shift`` reads the schedule at s + shift (an off-by-one step when shift = 1 / T)."""

    def __init__(self, center, schedule, shift=0.0):
        super().__init__()
        self.register_buffer("center", center)
        self.schedule, self.shift = schedule, shift

    def forward(self, x, time, labels=None):
        alpha_bar = self.schedule.alpha_bar_at(time.double() + self.shift).to(x.dtype)[:, None]
        return (x - alpha_bar.sqrt() * self.center) / (1 - alpha_bar).sqrt()


def _gaussian_toy(variance):
    return data.GaussianMixture2D([[0.0, 0.0]], math.sqrt(variance))


# --- schedules ---------------------------------------------------------------------------------------------------

def test_the_linear_schedule_is_ho_et_al_and_every_array_is_indexed_by_the_step():
    schedule = diffusion.make_schedule("linear", 1000)
    assert schedule.betas.dtype == torch.float64 and schedule.betas.shape == (1001,)
    assert schedule.betas[0] == 0 and schedule.alpha_bar[0] == 1
    assert torch.allclose(schedule.betas[1:], torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64))
    assert torch.allclose(schedule.alpha_bar, torch.cumprod(1 - schedule.betas, 0), rtol=1e-12)
    assert float(schedule.alpha_bar[-1]) == pytest.approx(4.04e-5, rel=0.01)
    t = 500
    expected = (1 - schedule.alpha_bar[t - 1]) / (1 - schedule.alpha_bar[t]) * schedule.betas[t]
    assert float(schedule.posterior_variance[t]) == pytest.approx(float(expected), rel=1e-12)
    assert schedule.posterior_variance[1] == 0
    # scaled by 1000 / T for other T: alpha_bar_T stays small
    assert float(diffusion.make_schedule("linear", 100).alpha_bar[-1]) == pytest.approx(2.04e-5, rel=0.01)


def test_the_cosine_schedule_follows_its_alpha_bar_and_clips_beta():
    schedule = diffusion.make_schedule("cosine", 100)
    f = torch.cos(0.5 * math.pi * (torch.arange(101, dtype=torch.float64) / 100 + 0.008) / 1.008) ** 2
    assert torch.allclose(schedule.alpha_bar[:90], (f / f[0])[:90], rtol=1e-10)
    assert float(schedule.betas.max()) == pytest.approx(diffusion.MAX_BETA)


def test_the_log_snr_schedule_is_linear_in_the_log_snr_between_its_ends():
    schedule = diffusion.make_schedule("log_snr", 200, log_snr_range=(5.0, -8.0))
    log_snr = torch.log(schedule.alpha_bar[1:] / (1 - schedule.alpha_bar[1:]))  # (T,): lambda_1..lambda_T
    expected = 5.0 + torch.arange(1, 201, dtype=torch.float64) / 200 * (-8.0 - 5.0)
    assert torch.allclose(log_snr, expected, atol=1e-9)
    assert float(schedule.alpha_bar[0]) == 1.0
    # the default: noise std about 0.05 at t = 1 (near the digits' bin half-width 1/16), alpha_bar_T = sigmoid(-10)
    default = diffusion.make_schedule("log_snr", 1000)
    assert float(default.sqrt_one_minus_alpha_bar[1]) == pytest.approx(0.0501, abs=2e-4)
    assert float(default.alpha_bar[-1]) == pytest.approx(1 / (1 + math.exp(10)), rel=1e-9)


@pytest.mark.parametrize("log_snr_range", [(-1.0, 2.0), (3.0, 3.0), (float("inf"), 0.0), (1.0,)])
def test_the_log_snr_schedule_rejects_a_range_that_does_not_fall(log_snr_range):
    with pytest.raises(ValueError, match="lambda_max"):
        diffusion.log_snr_betas(10, log_snr_range)


def test_continuous_time_meets_the_grid_and_inverts():
    schedule = diffusion.make_schedule("cosine", 50)
    grid = torch.arange(51, dtype=torch.float64) / 50
    assert torch.allclose(schedule.alpha_bar_at(grid), schedule.alpha_bar, rtol=1e-12)
    s = torch.tensor([0.0, 0.013, 0.5, 0.731, 1.0], dtype=torch.float64)
    assert torch.allclose(schedule.time_at_log_alpha_bar(schedule.log_alpha_bar_at(s)), s, atol=1e-12)
    # beta(s) = -d log alpha_bar / ds inside a step
    ds = 1e-4
    slope = (schedule.log_alpha_bar_at(0.3013) - schedule.log_alpha_bar_at(0.3013 + ds)) / ds
    assert float(slope) == pytest.approx(float(schedule.beta_at(0.3013)), rel=1e-6)


# --- the forward process and the loss ----------------------------------------------------------------------------

def _process(net=None, schedule=None, **kwargs):
    schedule = schedule or diffusion.make_schedule("linear", 100)
    return diffusion.GaussianDiffusion(net or diffusion.MixtureNoiseOracle(RING, schedule), schedule, (2,), **kwargs)


def test_q_sample_has_the_forward_marginal_moments():
    model = _process()
    n, t = 20_000, 30
    x0 = torch.tensor([[1.5, -2.0]]).expand(n, 2)
    x_t = model.q_sample(x0, t, generator=torch.Generator().manual_seed(0)).double()
    alpha_bar = float(model.schedule.alpha_bar[t])
    mean_se = math.sqrt((1 - alpha_bar) / n)
    assert torch.allclose(x_t.mean(0), math.sqrt(alpha_bar) * x0[0].double(), atol=4 * mean_se)
    variance_se = (1 - alpha_bar) * math.sqrt(2 / n)
    assert torch.allclose(x_t.var(0), torch.full((2,), 1 - alpha_bar, dtype=torch.float64), atol=4 * variance_se)
    # alpha_t in place of alpha_bar_t would be far off (alpha_30 = 0.94 vs alpha_bar_30 = 0.40 at T = 100)
    assert abs(float(model.schedule.alphas[t]) - alpha_bar) > 50 * variance_se
    assert torch.equal(model.q_sample(x0[:3], 0, generator=torch.Generator()), x0[:3])


def test_the_loss_is_zero_for_the_perfect_predictor_and_not_for_an_off_by_one_one():
    schedule = diffusion.make_schedule("linear", 100)
    center = torch.tensor([0.5, -1.0])
    x = center.expand(256, 2).clone()
    perfect = diffusion.GaussianDiffusion(PointMassNoise(center, schedule), schedule, (2,))
    assert float(perfect.loss(x, generator=torch.Generator().manual_seed(0))) < 1e-8
    shifted = diffusion.GaussianDiffusion(PointMassNoise(center, schedule, shift=1 / 100), schedule, (2,))
    assert float(shifted.loss(x, generator=torch.Generator().manual_seed(0))) > 1e-4


def test_p_sample_is_the_posterior_at_the_predicted_x0_and_deterministic_at_t_1():
    schedule = diffusion.make_schedule("linear", 100)
    center = torch.tensor([0.5, -1.0])
    model = diffusion.GaussianDiffusion(PointMassNoise(center, schedule), schedule, (2,))
    x0 = center.expand(5, 2).double()
    x_t = model.q_sample(x0.float(), 40, generator=torch.Generator().manual_seed(0))
    mean, variance = model.p_mean_variance(x_t, 40)
    true_mean, true_variance = model.q_posterior(x0.float(), x_t, 40)
    assert torch.allclose(mean, true_mean, atol=1e-5) and torch.allclose(variance, true_variance)
    # Ho et al.'s form of the same mean
    alpha, alpha_bar, beta = (float(v[40]) for v in (schedule.alphas, schedule.alpha_bar, schedule.betas))
    eps = model.predict_noise(x_t, 40)
    assert torch.allclose(mean, (x_t - beta / math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha), atol=1e-5)
    one = model.p_sample(x_t, 1, generator=torch.Generator().manual_seed(1))
    assert torch.equal(one, model.p_sample(x_t, 1, generator=torch.Generator().manual_seed(2)))


@pytest.mark.parametrize("num_steps", [50])
def test_ancestral_sampling_with_the_exact_noise_of_a_gaussian_follows_its_variance_recursion(num_steps):
    # data N(0, v I): eps*(x_t) = sqrt(1 - ab_t) x_t / (ab_t v + 1 - ab_t), so each step is x' = c_t x + sigma_t z and
    # the final variance is the recursion V <- c_t^2 V + sigma_t^2 from V_T = 1 (written here from Ho et al.'s eq. 11)
    variance, n = 0.04, 20_000
    schedule = diffusion.make_schedule("linear", num_steps)
    ab, alphas, betas = schedule.alpha_bar, schedule.alphas, schedule.betas

    def recursion(shift=0):
        value = 1.0
        for t in range(num_steps, 0, -1):
            k = min(t + shift, num_steps)
            eps_coefficient = (1 - ab[k]) ** 0.5 / (ab[k] * variance + 1 - ab[k])  # eps* = this * x_t
            c = (1 - betas[t] / (1 - ab[t]) ** 0.5 * eps_coefficient) / alphas[t] ** 0.5
            value = c ** 2 * value + (schedule.posterior_variance[t] if t > 1 else 0.0)
        return float(value)

    model = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(_gaussian_toy(variance), schedule), schedule, (2,))
    x = model.sample(n, generator=torch.Generator().manual_seed(0)).double()
    empirical = float((x ** 2).mean())
    se = empirical * math.sqrt(2 / (2 * n))
    assert abs(empirical - recursion()) < 4 * se, (empirical, recursion(), se)
    assert abs(recursion() - variance) > 20 * se  # the discretization error of 50 steps is real and measured
    assert abs(recursion(shift=1) - recursion()) > 8 * se  # an off-by-one noise prediction would be caught


def test_ddim_with_eta_1_on_all_steps_is_the_ancestral_sampler_and_eta_0_is_deterministic():
    model = _process()
    ancestral = model.sample(200, generator=torch.Generator().manual_seed(0))
    ddim = model.ddim_sample(200, 100, eta=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ddim, ancestral, atol=1e-4)
    x_T = model.prior_sample(50, torch.Generator().manual_seed(1))
    first = model.ddim_sample(50, 20, x_T=x_T, generator=torch.Generator().manual_seed(2))
    assert torch.equal(first, model.ddim_sample(50, 20, x_T=x_T, generator=torch.Generator().manual_seed(3)))
    assert not torch.allclose(first, model.ddim_sample(50, 20, eta=1.0, x_T=x_T,
                                                       generator=torch.Generator().manual_seed(3)))
    assert diffusion.ddim_steps(4, 100).tolist() == [100, 75, 50, 25, 0]


# --- the variational bound ---------------------------------------------------------------------------------------

def test_the_decoder_puts_all_mass_on_the_17_levels_and_256_level_bins_would_not():
    mean = torch.tensor([[-1.3, -0.2, 0.03, 0.9, 1.7]]).double()
    levels = torch.arange(17, dtype=torch.float64)
    grid = diffusion.levels_to_signed(levels, 17).double()
    for log_scale in (-4.6, -2.0, 0.5):
        log_p = torch.stack([diffusion.discretized_gaussian_log_likelihood(g.expand(1, 5), mean, log_scale, 17)
                             for g in grid])  # (17, 1): log of the product over the 5 values
        per_value = torch.stack([torch.stack([diffusion.discretized_gaussian_log_likelihood(
            g.reshape(1, 1), mean[:, j:j + 1], log_scale, 17) for g in grid]) for j in range(5)])  # (5, 17, 1)
        assert torch.allclose(per_value.exp().sum(1), torch.ones(5, 1, dtype=torch.float64), atol=1e-12)
        assert torch.allclose(log_p[:, 0], per_value[:, :, 0].sum(0), atol=1e-10)
    # a middle bin is Phi((x + 1/16 - mu) / sigma) - Phi((x - 1/16 - mu) / sigma)
    normal = torch.distributions.Normal(torch.tensor(0.1, dtype=torch.float64), torch.tensor(0.2, dtype=torch.float64))
    x = float(grid[9])  # level 9 = 0.125
    bin_edges = torch.tensor([x - 1 / 16, x + 1 / 16], dtype=torch.float64)
    expected = math.log(float(normal.cdf(bin_edges[1]) - normal.cdf(bin_edges[0])))
    assert float(diffusion.discretized_gaussian_log_likelihood(torch.tensor([[x]]), 0.1, math.log(0.2), 17)) == \
        pytest.approx(expected, abs=1e-12)
    # the offsets of 256-level code (half-width 1/255) give a level only a fraction of its mass
    narrow_edges = torch.tensor([x - 1 / 255, x + 1 / 255], dtype=torch.float64)
    narrow = float(normal.cdf(narrow_edges[1]) - normal.cdf(narrow_edges[0]))
    assert math.log(narrow) < expected - 2.0
    # far tails stay finite
    far = diffusion.discretized_gaussian_log_likelihood(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.9, -0.9]]),
                                                        math.log(0.01), 17)
    assert bool(torch.isfinite(far).all()) and float(far) < -1000


def test_the_bound_of_a_point_mass_of_levels_is_zero_nats_with_the_exact_predictor():
    # data that is always one image of 17 levels: with the exact noise the posterior KLs vanish, the decoder's
    # N(x_0, beta_1) (sigma = 0.016 at T = 400) fits inside the 1/16 half-bins, the prior KL is ~ alpha_bar_T |x_0|^2/2
    schedule = diffusion.make_schedule("linear", 400)
    image = torch.arange(64).remainder(17).float()[None]  # (1, 64) levels
    center = diffusion.levels_to_signed(image, 17)[0]
    model = diffusion.GaussianDiffusion(PointMassNoise(center, schedule), schedule, (64,), num_levels=17)
    terms = model.bound_terms(image.expand(4, 64), generator=torch.Generator().manual_seed(0))
    alpha_bar_T = float(schedule.alpha_bar[-1])
    prior = 0.5 * (alpha_bar_T * (center.double() ** 2).sum() - 64 * (alpha_bar_T + math.log(1 - alpha_bar_T)))
    assert torch.allclose(terms["prior"], prior.expand(4), rtol=1e-4)
    assert float(terms["diffusion"].abs().max()) < 1e-6 and float(terms["decoder"].max()) < 1e-2
    assert float(sum(terms.values()).max()) < 1e-2
    # at T = 100 the scaled schedule has beta_1 = 1e-3: sigma = 0.032 leaves 5 % of a level's mass outside its bin
    coarse = diffusion.make_schedule("linear", 100)
    model = diffusion.GaussianDiffusion(PointMassNoise(center, coarse), coarse, (64,), num_levels=17)
    terms = model.bound_terms(image.expand(3, 64), generator=torch.Generator().manual_seed(0))
    assert 2.5 < float(terms["decoder"].mean()) < 3.5
    bound = model.log_prob_bound(image.expand(3, 64), generator=torch.Generator().manual_seed(0))
    assert bound.shape == (3,) and torch.allclose(bound, -sum(terms.values()))
    # the same image off the grid of its levels is refused
    with pytest.raises(ValueError, match="0..16"):
        model.log_prob_bound(image + 17)


def test_the_bound_of_continuous_data_lies_below_the_true_log_density():
    schedule = diffusion.make_schedule("linear", 200)
    model = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(RING, schedule), schedule, (2,)).double()
    x = RING.sample(500, generator=torch.Generator().manual_seed(4)).double()
    gap = RING.log_prob(x) - model.log_prob_bound(x, generator=torch.Generator().manual_seed(0))  # (500,)
    se = float(gap.std()) / math.sqrt(500)
    assert float(gap.mean()) > -3 * se and float(gap.mean()) < 3.0, (float(gap.mean()), se)  # 1.5 nats at T = 200
    # the stratified estimate from 20 of the 199 KL terms has the same mean
    estimate = model.log_prob_bound(x, num_timesteps=20, generator=torch.Generator().manual_seed(1))
    difference = RING.log_prob(x) - estimate - gap
    assert abs(float(difference.mean())) < 4 * float(difference.std()) / math.sqrt(500) + 0.02


# --- guidance, conditioning, inpainting ----------------------------------------------------------------------------

def test_the_guidance_combination_and_its_sign():
    conditional, unconditional = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 3.0]])
    assert torch.equal(diffusion.classifier_free_guidance(conditional, unconditional, 0.0), conditional)
    assert torch.equal(diffusion.classifier_free_guidance(conditional, unconditional, 1.0), torch.tensor([[2.0, 1.0]]))
    assert torch.equal(diffusion.classifier_free_guidance(conditional, unconditional, 2.0), torch.tensor([[3.0, 0.0]]))
    with pytest.raises(ValueError, match="guidance_scale"):
        diffusion.classifier_free_guidance(conditional, unconditional, -1.0)


class TwoClassNoise(nn.Module):
    """Class y's exact noise is that of the Gaussian at MEANS[y]; the null label's, that of their even mixture."""

    MEANS = ((-2.0, 0.0), (2.0, 0.0))

    def __init__(self, schedule):
        super().__init__()
        self.classes = nn.ModuleList(diffusion.MixtureNoiseOracle(data.GaussianMixture2D([m], 0.5), schedule)
                                     for m in self.MEANS)
        self.null = diffusion.MixtureNoiseOracle(data.GaussianMixture2D(self.MEANS, 0.5), schedule)
        self.seen = []

    def forward(self, x, time, labels=None):
        self.seen.append(labels.clone())
        out = self.null(x, time)
        for y, oracle in enumerate(self.classes):
            out = torch.where((labels == y)[:, None], oracle(x, time), out)
        return out


def test_guided_sampling_goes_towards_the_label_and_label_dropout_drops_at_its_rate():
    schedule = diffusion.make_schedule("linear", 50)
    net = TwoClassNoise(schedule)
    model = diffusion.GaussianDiffusion(net, schedule, (2,), num_classes=2, label_dropout=0.25)
    labels = torch.zeros(400, dtype=torch.long)
    plain = model.sample(400, context=labels, generator=torch.Generator().manual_seed(0))
    guided = model.sample(400, context=labels, guidance_scale=3.0, generator=torch.Generator().manual_seed(0))
    unconditional = model.sample(400, generator=torch.Generator().manual_seed(0))
    assert abs(float(plain[:, 0].mean()) + 2.0) < 4 * 0.5 / math.sqrt(400)  # w = 0: the class itself
    # w > 0 pushes away from the other class (the mean moves left of -2 and the spread shrinks); a flipped sign
    # would pull towards it
    assert float(guided[:, 0].mean()) < -2.1 and float(guided[:, 0].std()) < float(plain[:, 0].std())
    assert 0.35 < float((unconditional[:, 0] < 0).float().mean()) < 0.65
    # in training mode a quarter of the labels become the null label 2
    net.seen.clear()
    model.train()
    model.loss(torch.zeros(20_000, 2), context=torch.ones(20_000, dtype=torch.long),
               generator=torch.Generator().manual_seed(0))
    dropped = float((net.seen[-1] == 2).float().mean())
    assert abs(dropped - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 20_000)
    model.eval()
    model.loss(torch.zeros(100, 2), context=torch.ones(100, dtype=torch.long))
    assert bool((net.seen[-1] == 1).all())  # no dropout in evaluation


def test_inpainting_keeps_the_known_values_and_completes_from_the_conditional():
    # two modes at (-2, -2) and (2, 2): knowing x_1 says which mode, and x_2 follows it
    toy = data.GaussianMixture2D([[-2.0, -2.0], [2.0, 2.0]], 0.3)
    schedule = diffusion.make_schedule("linear", 100)
    oracle = diffusion.MixtureNoiseOracle(toy, schedule)

    class Recording(nn.Module):
        inputs = {}

        def forward(self, x, time, labels=None):
            self.inputs[round(float(time[0]) * 100)] = x.clone()
            return oracle(x, time)

    model = diffusion.GaussianDiffusion(Recording(), schedule, (2,))
    observed = torch.tensor([[2.0, 0.0], [-2.0, 0.0]]).repeat(200, 1)  # (400, 2), x_2 unknown
    mask = torch.tensor([[True, False]]).expand(400, 2)
    completed = diffusion.inpaint(model, observed, mask, generator=torch.Generator().manual_seed(0))
    assert torch.equal(completed[:, 0], observed[:, 0])
    assert abs(float(completed[0::2, 1].mean()) - 2.0) < 0.15 and abs(float(completed[1::2, 1].mean()) + 2.0) < 0.15
    # the network sees the known value noised to its step: x_t[m] ~ N(sqrt(alpha_bar_t) y, 1 - alpha_bar_t)
    t, alpha_bar = 50, float(schedule.alpha_bar[50])
    known = Recording.inputs[t][0::2, 0].double()  # (200,), y = 2
    assert abs(float(known.mean()) - 2.0 * math.sqrt(alpha_bar)) < 4 * math.sqrt((1 - alpha_bar) / 200)
    assert abs(float(known.var()) / (1 - alpha_bar) - 1) < 4 * math.sqrt(2 / 200)
    with pytest.raises(TypeError, match="bool"):
        diffusion.inpaint(model, observed, mask.float())


def test_measurement_guidance_pulls_samples_to_the_measurement_and_the_mode_it_implies():
    toy = data.GaussianMixture2D([[-2.0, -2.0], [2.0, 2.0]], 0.3)
    schedule = diffusion.make_schedule("linear", 100)
    model = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(toy, schedule), schedule, (2,))
    y = torch.tensor([[2.0], [-2.0]]).repeat(200, 1)  # (400, 1): A(x) = x_1 measured
    x = diffusion.measurement_guided_sample(model, y, lambda x: x[:, :1], step_size=0.3,
                                            generator=torch.Generator().manual_seed(0))
    for row, value in ((0, 2.0), (1, -2.0)):  # measured 2.00 +- 0.17 and 2.07 +- 0.29 (the truth: 2 +- 0.3)
        assert abs(float(x[row::2, 0].mean()) - value) < 0.1 and float(x[row::2, 0].std()) < 0.3
        assert abs(float(x[row::2, 1].mean()) - value) < 0.2
    with pytest.raises(ValueError, match="measurement's shape"):
        diffusion.measurement_guided_sample(model, y, lambda x: x)
    with pytest.raises(ValueError, match="step_size"):
        diffusion.measurement_guided_sample(model, y, lambda x: x[:, :1], step_size=0.0)


# --- failure and bad input ---------------------------------------------------------------------------------------

class NaNAfter(nn.Module):
    def forward(self, x, time, labels=None):
        return torch.where(time[:, None] < 0.5, torch.full_like(x, math.nan), torch.zeros_like(x))


def test_a_sampler_that_reaches_nan_stops_with_the_step_and_the_cause():
    model = _process(NaNAfter())
    with pytest.raises(FloatingPointError, match=r"ancestral step t = 49 .*trained"):
        model.sample(3)
    with pytest.raises(FloatingPointError, match=r"DDIM step t = 40 -> 30"):
        model.ddim_sample(3, 10)
    with pytest.raises(FloatingPointError, match="inpainting step t = 49"):
        diffusion.inpaint(model, torch.zeros(3, 2), torch.zeros(3, 2, dtype=torch.bool))
    with pytest.raises(FloatingPointError, match="measurement-guided step t = 49"):
        diffusion.measurement_guided_sample(model, torch.zeros(3, 1), lambda x: x[:, :1])


@pytest.mark.parametrize("call, error, match", [
    (lambda m: m.loss(torch.zeros(4, 3)), ValueError, r"shape \(N, 2\)"),
    (lambda m: m.loss(torch.zeros(4, 2, dtype=torch.long)), TypeError, "floating"),
    (lambda m: m.q_sample(torch.zeros(4, 2), 101), ValueError, "0..100"),
    (lambda m: m.q_sample(torch.zeros(4, 2), torch.ones(4)), TypeError, "integer"),
    (lambda m: m.p_sample(torch.zeros(4, 2), 0), ValueError, "1..100"),
    (lambda m: m.ddim_sample(4, 101), ValueError, "at most"),
    (lambda m: m.ddim_sample(4, 10, eta=-1.0), ValueError, "eta"),
    (lambda m: m.sample(2, context=torch.zeros(2, dtype=torch.long)), ValueError, "not a conditional"),
    (lambda m: diffusion.GaussianDiffusion(nn.Linear(2, 2), m.schedule, (2,), label_dropout=0.1), ValueError,
     "num_classes"),
    (lambda m: diffusion.GaussianDiffusion(nn.Linear(2, 2), "linear", (2,)), TypeError, "NoiseSchedule"),
    (lambda m: diffusion.make_schedule("quadratic"), ValueError, "linear, cosine, log_snr"),
    (lambda m: diffusion.make_schedule("linear", 10), ValueError, "cosine schedule"),
    (lambda m: diffusion.NoiseSchedule(torch.tensor([0.1, 1.0])), ValueError, r"\(0, 1\)"),
    (lambda m: diffusion.levels_to_signed(torch.tensor([0.5]), 17), ValueError, "integer"),
    (lambda m: diffusion.drop_labels(torch.tensor([0, 1]), 2, 1.5), ValueError, "probability"),
    (lambda m: diffusion.GaussianDiffusion(nn.Linear(2, 2), m.schedule, (2,), num_classes=2).sample(
        2, context=torch.tensor([0, 2])), ValueError, "0..1"),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call(_process())


def test_a_small_denoiser_trains_through_fit_with_an_ema_of_its_weights():
    toy = _gaussian_toy(0.25)
    model = diffusion.GaussianDiffusion(diffusion.MLPDenoiser(2, hidden=32, layers=2, time_dim=16),
                                        diffusion.make_schedule("linear", 100), (2,))
    ema = train.EMA(train.LossStep(model, lr=3e-3), decay=0.9)
    x = toy.sample(2048, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = float(model.loss(x, generator=torch.Generator().manual_seed(1)))
    history = train.fit(model, x, step=ema, num_steps=100, batch_size=256, progress=False)
    with torch.no_grad():
        after = float(model.loss(x, generator=torch.Generator().manual_seed(1)))
    assert history.num_steps == 100 and after < 0.8 * before, (before, after)
    assert ema.num_updates == 100
