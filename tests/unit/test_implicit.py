"""dgm_utils.implicit: GAN losses against their formulas and the exact optimal critics of two Gaussians, the
gradient penalty, packing, mode coverage on exact samples, and short trainings through train.fit."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from dgm_utils import base, data
from dgm_utils import implicit as im
from dgm_utils.train import AdversarialStep, fit

SEED = 0


def _gen(seed=SEED):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------------------------------------------
# losses on logits

LOGITS = torch.tensor([-3.0, -0.5, 0.0, 0.7, 2.5], dtype=torch.float64)
OTHER = torch.tensor([1.5, -2.0, 0.3, -0.1], dtype=torch.float64)


def _log_d(logits):  # log sigmoid, the textbook way (fine at these magnitudes)
    return torch.log(1.0 / (1.0 + torch.exp(-logits)))


def _log_one_minus_d(logits):
    return torch.log(1.0 - 1.0 / (1.0 + torch.exp(-logits)))


def test_gan_losses_equal_their_formulas():
    real, fake = LOGITS, OTHER
    expected_d = -_log_d(real).mean() - _log_one_minus_d(fake).mean()
    torch.testing.assert_close(im.discriminator_loss(real, fake), expected_d)
    torch.testing.assert_close(im.discriminator_loss(real[:, None], fake[:, None]), expected_d)
    torch.testing.assert_close(im.minimax_generator_loss(fake), _log_one_minus_d(fake).mean())
    torch.testing.assert_close(im.non_saturating_generator_loss(fake), -_log_d(fake).mean())
    torch.testing.assert_close(im.wgan_critic_loss(real, fake), fake.mean() - real.mean())
    torch.testing.assert_close(im.wgan_generator_loss(fake), -fake.mean())


@pytest.mark.parametrize("loss, num_args", [
    (im.discriminator_loss, 2), (im.minimax_generator_loss, 1), (im.non_saturating_generator_loss, 1),
    (im.wgan_critic_loss, 2), (im.wgan_generator_loss, 1)])
def test_gan_losses_are_finite_with_finite_gradients_at_extreme_logits(loss, num_args):
    for value in (100.0, -100.0):
        logits = [torch.full((4,), value, requires_grad=True) for _ in range(num_args)]  # float32
        out = loss(*logits)
        grads = torch.autograd.grad(out, logits)
        assert torch.isfinite(out) and all(bool(torch.isfinite(g).all()) for g in grads), (value, out, grads)


def test_gan_losses_have_the_right_limits_at_extreme_logits():
    big = torch.full((3,), 100.0)
    # a discriminator sure of both: loss ~ 0; sure and wrong on both: loss ~ 200
    assert float(im.discriminator_loss(big, -big)) < 1e-30
    assert abs(float(im.discriminator_loss(-big, big)) - 200.0) < 1e-3
    # the non-saturating loss keeps a gradient of -1 per example when D rejects the fakes, the minimax one loses it
    fake = torch.full((2,), -100.0, requires_grad=True)
    (grad_ns,) = torch.autograd.grad(im.non_saturating_generator_loss(fake), fake)
    (grad_mm,) = torch.autograd.grad(im.minimax_generator_loss(fake), fake)
    torch.testing.assert_close(grad_ns, torch.full((2,), -0.5))
    assert float(grad_mm.abs().max()) < 1e-40


def test_losses_reject_bad_input():
    with pytest.raises(TypeError):
        im.discriminator_loss([1.0], torch.zeros(2))
    with pytest.raises(TypeError):
        im.non_saturating_generator_loss(torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"\(N,\)"):
        im.wgan_generator_loss(torch.zeros(3, 2))
    with pytest.raises(ValueError):
        im.minimax_generator_loss(torch.zeros(0))
    with pytest.raises(ValueError, match="unknown f-divergence"):
        im.fgan_critic_loss(torch.zeros(2), torch.zeros(2), "wasserstein")
    with pytest.raises(ValueError, match="form"):
        im.fgan_generator_loss(torch.zeros(2), "kl", form="saturating")


# ----------------------------------------------------------------------------------------------------
# optimal critics of two 1-D Gaussians: P = N(0, 1) (data), Q = N(0.5, 1.2^2) (model)

MU_P, SIGMA_P, MU_Q, SIGMA_Q = 0.0, 1.0, 0.5, 1.2
NUM_MC = 200_000


def _log_ratio(x):
    return torch.as_tensor(stats.norm.logpdf(x.numpy(), MU_P, SIGMA_P) - stats.norm.logpdf(x.numpy(), MU_Q, SIGMA_Q))


def _draws(seed):
    g = _gen(seed)
    real = MU_P + SIGMA_P * torch.randn(NUM_MC, generator=g, dtype=torch.float64)
    fake = MU_Q + SIGMA_Q * torch.randn(NUM_MC, generator=g, dtype=torch.float64)
    return real, fake


def _quad(f_of_u):
    """D_f(P || Q) = int q f(p / q) dx by adaptive quadrature (scipy), independent of the library."""
    def integrand(x):
        p, q = stats.norm.pdf(x, MU_P, SIGMA_P), stats.norm.pdf(x, MU_Q, SIGMA_Q)
        return q * f_of_u(p / q)
    return integrate.quad(integrand, -30, 30, limit=200)[0]


def _jensen_shannon():
    def integrand(x):
        p, q = stats.norm.pdf(x, MU_P, SIGMA_P), stats.norm.pdf(x, MU_Q, SIGMA_Q)
        m = (p + q) / 2
        return 0.5 * p * np.log(p / m) + 0.5 * q * np.log(q / m)
    return integrate.quad(integrand, -30, 30, limit=200)[0]


def _kl_gauss(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


TRUE_DIVERGENCE = {
    "kl": _kl_gauss(MU_P, SIGMA_P, MU_Q, SIGMA_Q),
    "reverse_kl": _kl_gauss(MU_Q, SIGMA_Q, MU_P, SIGMA_P),
    "hellinger": 2 * (1 - math.sqrt(2 * SIGMA_P * SIGMA_Q / (SIGMA_P**2 + SIGMA_Q**2))
                      * math.exp(-(MU_P - MU_Q) ** 2 / (4 * (SIGMA_P**2 + SIGMA_Q**2)))),
    "pearson": _quad(lambda u: (u - 1) ** 2),
    "jensen_shannon": 2 * _jensen_shannon(),  # Table 6's f and f* give 2 D_JS
    "gan": 2 * _jensen_shannon() - math.log(4.0),
}


def test_the_optimal_discriminator_maximizes_the_gan_value_at_2js_minus_log4():
    real, fake = _draws(1)
    l_real, l_fake = _log_ratio(real), _log_ratio(fake)  # D* = p / (p + q) has logit log p - log q
    value = -float(im.discriminator_loss(l_real, l_fake))  # E_p log D* + E_q log(1 - D*)
    terms = torch.cat([-torch.nn.functional.softplus(-l_real), -torch.nn.functional.softplus(l_fake)])
    std_error = math.sqrt(float(terms[:NUM_MC].var()) / NUM_MC + float(terms[NUM_MC:].var()) / NUM_MC)
    assert abs(value - (2 * _jensen_shannon() - math.log(4))) < 4 * std_error + 1e-6
    # any other discriminator (on the same draws) has a lower value
    for other in (lambda l: l + 0.5, lambda l: l - 0.5, lambda l: 1.5 * l, lambda l: 0.5 * l, lambda l: 0.0 * l):
        assert -float(im.discriminator_loss(other(l_real), other(l_fake))) < value


@pytest.mark.parametrize("name", sorted(TRUE_DIVERGENCE))
def test_fgan_bound_at_the_optimal_critic_is_the_divergence(name):
    div = im.F_DIVERGENCES[name]
    real, fake = _draws(2)
    v_real, v_fake = div.optimal_score(_log_ratio(real)), div.optimal_score(_log_ratio(fake))
    estimate = -float(im.fgan_critic_loss(v_real, v_fake, name))  # E_P T* - E_Q f*(T*)
    std_error = math.sqrt(float(div.activation(v_real).var()) / NUM_MC
                          + float(div.conjugate_of_activation(v_fake).var()) / NUM_MC)
    assert abs(estimate - TRUE_DIVERGENCE[name]) < 4 * std_error + 1e-6, (estimate, TRUE_DIVERGENCE[name])
    # a perturbed critic gives a lower bound (on the same draws)
    assert -float(im.fgan_critic_loss(v_real * 0.7, v_fake * 0.7, name)) < estimate


@pytest.mark.parametrize("name", sorted(im.F_DIVERGENCES))
def test_each_f_divergence_row_is_consistent(name):
    div = im.F_DIVERGENCES[name]
    u = torch.linspace(0.1, 5.0, 50, dtype=torch.float64, requires_grad=True)
    (f_prime,) = torch.autograd.grad(div.f(u).sum(), u)
    torch.testing.assert_close(div.f_prime(u), f_prime)  # f' is the derivative of f
    f_at_one = -math.log(4) if name == "gan" else 0.0  # f(1) = 0, except Table 6's "GAN" row: -log 4
    assert abs(float(div.f(torch.ones(1, dtype=torch.float64))) - f_at_one) < 1e-12
    u = u.detach()
    r = torch.log(u)
    torch.testing.assert_close(div.activation(div.optimal_score(r)), div.f_prime(u))  # g_f(v*) = f'(p/q)
    t = div.f_prime(u)
    torch.testing.assert_close(div.conjugate(t), u * t - div.f(u))  # Fenchel: f*(f'(u)) = u f'(u) - f(u)
    v = torch.linspace(-3.0, 3.0, 41, dtype=torch.float64)
    torch.testing.assert_close(div.conjugate_of_activation(v), div.conjugate(div.activation(v)))
    other_u = torch.linspace(0.05, 8.0, 200, dtype=torch.float64)[:, None]  # f*(t) >= u t - f(u) for every u
    assert bool((div.conjugate(t)[None, :] >= other_u * t[None, :] - div.f(other_u) - 1e-9).all())
    assert torch.isfinite(im.fgan_generator_loss(v, name)) and torch.isfinite(im.fgan_generator_loss(v, name,
                                                                                                     form="minimax"))


def test_fgan_gan_row_is_the_standard_gan():
    real, fake = LOGITS, OTHER
    torch.testing.assert_close(im.fgan_critic_loss(real, fake, "gan"), im.discriminator_loss(real, fake))
    torch.testing.assert_close(im.fgan_generator_loss(fake, "gan"), im.non_saturating_generator_loss(fake))
    torch.testing.assert_close(im.fgan_generator_loss(fake, "gan", form="minimax"), im.minimax_generator_loss(fake))


# ----------------------------------------------------------------------------------------------------
# gradient penalty

def _linear_critic(weight, dtype=torch.float64):
    critic = torch.nn.Linear(len(weight), 1).to(dtype)
    with torch.no_grad():
        critic.weight.copy_(torch.as_tensor(weight, dtype=dtype)[None])
    return lambda x: critic(x)[:, 0]


def test_gradient_penalty_is_zero_for_a_unit_gradient_and_the_squared_excess_otherwise():
    real = torch.randn(16, 3, generator=_gen(1), dtype=torch.float64)
    fake = torch.randn(16, 3, generator=_gen(2), dtype=torch.float64)
    unit = torch.tensor([0.6, 0.0, -0.8])
    assert im.gradient_penalty(_linear_critic(unit), real, fake).item() < 1e-10
    torch.testing.assert_close(im.gradient_penalty(_linear_critic(2 * unit), real, fake),
                               torch.tensor(1.0, dtype=torch.float64))  # (||w|| - 1)^2 = 1
    torch.testing.assert_close(im.gradient_penalty(_linear_critic(0.25 * unit), real, fake),
                               torch.tensor(0.5625, dtype=torch.float64))
    quadratic = lambda x: (x**2).sum(1)  # noqa: E731, gradient 2x: positive penalty
    assert im.gradient_penalty(quadratic, real, fake).item() > 0.1


def test_gradient_penalty_interpolates_with_one_uniform_eps_per_example():
    real = torch.randn(64, 2, generator=_gen(1))
    fake = torch.randn(64, 2, generator=_gen(2))
    seen = []

    def critic(x):
        seen.append(x.detach())
        return x.sum(1)

    im.gradient_penalty(critic, real, fake, generator=_gen(3))
    eps = (seen[0] - fake) / (real - fake)  # (N, 2)
    torch.testing.assert_close(eps[:, 0], eps[:, 1], rtol=1e-4, atol=1e-4)  # one eps per example, shared by coordinates
    assert float(eps.min()) >= -1e-4 and float(eps.max()) <= 1 + 1e-4 and float(eps[:, 0].std()) > 0.2
    assert stats.kstest(eps[:, 0].numpy(), "uniform").pvalue > 1e-3


def test_gradient_penalty_is_differentiable_in_the_critic_parameters():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    critic = lambda x: net(x)[:, 0]  # noqa: E731
    real = torch.randn(32, 2, generator=_gen(1), dtype=torch.float64)
    fake = torch.randn(32, 2, generator=_gen(2), dtype=torch.float64)
    penalty = im.gradient_penalty(critic, real, fake, generator=_gen(5))
    # needs create_graph=True inside; the last bias does not change grad_x C, so it is unused
    grads = torch.autograd.grad(penalty, list(net.parameters()), allow_unused=True)
    assert sum(g is None for g in grads) == 1 and grads[-1] is None
    direction = [torch.randn(p.shape, generator=_gen(7), dtype=torch.float64) for p in net.parameters()]
    analytic = sum(float((g * d).sum()) for g, d in zip(grads, direction) if g is not None)
    h, values = 1e-5, []
    for sign in (1, -1):
        with torch.no_grad():
            for p, d in zip(net.parameters(), direction):
                p.add_(sign * h * d)
        values.append(im.gradient_penalty(critic, real, fake, generator=_gen(5)).item())
        with torch.no_grad():
            for p, d in zip(net.parameters(), direction):
                p.sub_(sign * h * d)
    assert abs(analytic) > 1e-3
    assert abs((values[0] - values[1]) / (2 * h) - analytic) < 1e-6 * max(1.0, abs(analytic))


def test_gradient_penalty_of_a_packed_critic_takes_the_norm_per_group():
    critic = im.MLPCritic(2, layers=0, pack=2).double()
    with torch.no_grad():
        critic.net[0].weight.copy_(torch.tensor([[0.5, 0.5, 0.5, -0.5]]))  # unit norm on the packed input
    real = torch.randn(8, 2, generator=_gen(1), dtype=torch.float64)
    fake = torch.randn(8, 2, generator=_gen(2), dtype=torch.float64)
    assert im.gradient_penalty(critic, real, fake).item() < 1e-10


def test_gradient_penalty_rejects_bad_input():
    x = torch.zeros(4, 2)
    with pytest.raises(TypeError, match="critic"):
        im.gradient_penalty("critic", x, x)
    with pytest.raises(ValueError, match="shape"):
        im.gradient_penalty(lambda v: v.sum(1), x, torch.zeros(3, 2))
    with pytest.raises(TypeError, match="generator"):
        im.gradient_penalty(lambda v: v.sum(1), x, x, generator=1)


# ----------------------------------------------------------------------------------------------------
# networks

def test_packing_critic_shapes_and_groups():
    critic = im.MLPCritic(2, hidden=16, layers=2, pack=4)
    x = torch.randn(12, 2, generator=_gen())
    assert critic(x).shape == (3,)
    jacobian = torch.autograd.functional.jacobian(critic, x)  # (3, 12, 2)
    depends = jacobian.abs().sum(2) > 0  # (3, 12): score j depends on rows 4j..4j+3 only
    assert torch.equal(depends, torch.arange(12)[None, :] // 4 == torch.arange(3)[:, None])
    with pytest.raises(ValueError, match="multiple of 4"):
        critic(torch.randn(10, 2))
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        critic(torch.randn(8, 3))
    assert im.MLPCritic(2, hidden=8, layers=1)(x).shape == (12,)
    assert im.MLPGenerator(3, 2, hidden=8, layers=1)(torch.randn(5, 3)).shape == (5, 2)
    with pytest.raises(ValueError):
        im.MLPCritic(2, pack=0)


def test_conditional_networks_use_the_labels():
    gen = im.ConditionalGenerator(4, 10, 64, hidden=16)
    critic = im.ConditionalCritic(64, 10, hidden=16)
    z = torch.randn(6, 4, generator=_gen())
    a, b = torch.zeros(6, dtype=torch.int64), torch.full((6,), 3, dtype=torch.int64)
    x = gen(z, a).detach()
    assert x.shape == (6, 64) and float(x.abs().max()) < 1 and not torch.allclose(x, gen(z, b))
    assert critic(x, a).shape == (6,) and not torch.allclose(critic(x, a), critic(x, b))
    with pytest.raises(TypeError, match="int64"):
        gen(z, a.float())
    with pytest.raises(ValueError, match="0..9"):
        critic(x, torch.full((6,), 10, dtype=torch.int64))


# ----------------------------------------------------------------------------------------------------
# mode coverage

def test_mode_coverage_of_exact_ring_samples():
    ring = data.ring()
    n = 20_000
    result = im.mode_coverage(ring.sample(n, generator=_gen()), ring)
    expected = 1 - math.exp(-4.5)  # P(chi^2_2 <= 9)
    assert (result.num_modes, result.modes_covered) == (8, 8)
    assert abs(result.high_quality - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    assert result.reverse_kl < 0.01 and int(result.counts.sum()) == round(result.high_quality * n)
    same = im.mode_coverage(ring.sample(n, generator=_gen()), ring.means.float(), 0.2)  # centres and std given
    assert (same.modes_covered, same.high_quality) == (result.modes_covered, result.high_quality)
    assert torch.equal(same.counts, result.counts)


def test_mode_coverage_of_one_mode_and_of_a_uniform_histogram():
    ring = data.ring()
    one = ring.means[0].float() + 0.2 * torch.randn(5000, 2, generator=_gen())
    result = im.mode_coverage(one, ring)
    assert result.modes_covered == 1 and abs(result.reverse_kl - math.log(8)) < 1e-12
    assert int(result.counts[0]) == int(result.counts.sum())
    grid = data.grid()
    exact = grid.means.float().repeat(3, 1)  # every centre three times
    result = im.mode_coverage(exact, grid)
    assert (result.modes_covered, result.high_quality, result.reverse_kl) == (25, 1.0, 0.0)
    far = torch.full((10, 2), 50.0)
    result = im.mode_coverage(far, grid)
    assert (result.modes_covered, result.high_quality) == (0, 0.0) and math.isinf(result.reverse_kl)
    assert "no high-quality" in str(result)


def test_mode_coverage_rejects_bad_input():
    ring = data.ring()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        im.mode_coverage(torch.zeros(5, 3), ring)
    with pytest.raises(ValueError, match="std"):
        im.mode_coverage(torch.zeros(5, 2), ring, 0.2)
    with pytest.raises(TypeError, match="std"):
        im.mode_coverage(torch.zeros(5, 2), ring.means)
    with pytest.raises(ValueError, match="NaN"):
        im.mode_coverage(torch.full((5, 2), math.nan), ring)
    with pytest.raises(ValueError, match="num_std"):
        im.mode_coverage(torch.zeros(5, 2), ring, num_std=-1.0)


# ----------------------------------------------------------------------------------------------------
# GAN and ConditionalGAN

def _toy_gan(objective="non_saturating", pack=1):
    torch.manual_seed(0)
    return im.GAN(im.MLPGenerator(2, 2, hidden=32, layers=2), im.MLPCritic(2, hidden=32, layers=2, pack=pack),
                  objective=objective)


def test_gan_is_a_sampler_without_density_or_single_loss():
    gan = _toy_gan()
    with pytest.raises(base.DensityNotAvailable, match="sample"):
        gan.log_prob(torch.zeros(3, 2))
    with pytest.raises(base.MethodNotAvailable, match="AdversarialStep"):
        gan.loss(torch.zeros(3, 2))
    with pytest.raises(ValueError, match="objective"):
        im.GAN(im.MLPGenerator(2, 2), im.MLPCritic(2), objective="hinge")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        gan.critic_loss(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="context"):
        gan.critic_loss(torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64))


@pytest.mark.parametrize("objective", im.OBJECTIVES)
def test_each_objective_gives_finite_losses_whose_gradients_reach_the_right_network(objective):
    gan = _toy_gan(objective, pack=2)
    x = data.ring().sample(10, generator=_gen())  # 10 rows: cut to 10 (a multiple of pack=2)
    critic_loss, generator_loss = gan.critic_loss(x), gan.generator_loss(x)
    assert torch.isfinite(critic_loss) and torch.isfinite(generator_loss)
    critic_grads = torch.autograd.grad(critic_loss, list(gan.critic.parameters()))
    assert any(float(g.abs().sum()) > 0 for g in critic_grads)
    assert not critic_loss.grad_fn is None and all(p.grad is None for p in gan.generator.parameters())
    generator_grads = torch.autograd.grad(generator_loss, list(gan.generator.parameters()))
    assert any(float(g.abs().sum()) > 0 for g in generator_grads)


def test_wgan_gp_critic_loss_adds_the_penalty():
    gan = _toy_gan("wgan_gp")
    x = data.ring().sample(8, generator=_gen())
    torch.manual_seed(3)
    with_penalty = gan.critic_loss(x).item()
    gan.penalty_weight = 0.0
    torch.manual_seed(3)
    assert with_penalty > gan.critic_loss(x).item()


def test_a_short_gan_training_moves_samples_toward_the_ring():
    ring = data.ring()
    gan = _toy_gan(pack=2)
    before = gan.sample(2000, generator=_gen(1))
    history = fit(gan, ring, step=AdversarialStep(gan, lr=1e-3), num_steps=300, batch_size=128, progress=False)
    after = gan.sample(2000, generator=_gen(1))
    assert all(math.isfinite(v) for v in history.train_loss) and bool(torch.isfinite(after).all())

    def distance_to_ring(x):
        return float((x.norm(dim=1) - 2.0).abs().mean())

    assert distance_to_ring(after) < 0.5 * distance_to_ring(before)
    assert im.mode_coverage(after, ring).high_quality > im.mode_coverage(before, ring).high_quality + 0.2


def test_a_diverging_training_stops_with_the_step_and_the_cause():
    gan = _toy_gan("wgan_gp")
    gan.penalty_weight = 0.0  # a WGAN critic with nothing to keep it Lipschitz
    step = AdversarialStep(gan, lr=0.5, max_critic_loss=100.0)
    with pytest.raises(FloatingPointError, match=r"at step \d+.*exploding.*gradient penalty"):
        fit(gan, data.ring(), step=step, num_steps=500, batch_size=64, progress=False)

    class NaNCritic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.w * x.sum(1) * math.nan

    gan = im.GAN(im.MLPGenerator(2, 2, hidden=8, layers=1), NaNCritic())
    with pytest.raises(FloatingPointError, match="critic loss is nan at step 1.*learning rate.*penalty"):
        fit(gan, data.ring(), step=AdversarialStep(gan), num_steps=2, progress=False)


def test_conditional_gan_on_digits():
    torch.manual_seed(0)
    x, labels = data.load_digits("train")[:64], data.load_digit_labels("train")[:64]
    cgan = im.ConditionalGAN(im.ConditionalGenerator(8, 10, 64, hidden=32), im.ConditionalCritic(64, 10, hidden=32),
                             data_range=(0, 16))
    fit(cgan, (x, labels), step=AdversarialStep(cgan, context=True), num_steps=3, batch_size=32, progress=False)
    samples = cgan.sample(20, generator=_gen())
    assert samples.shape == (20, 64) and float(samples.min()) >= 0 and float(samples.max()) <= 16
    cycled = torch.arange(20) % 10  # context=None: the classes in turn
    torch.testing.assert_close(samples, cgan.sample(20, generator=_gen(), context=cycled))
    threes = cgan.sample(5, generator=_gen(), context=3)
    torch.testing.assert_close(threes, cgan.sample(5, generator=_gen(), context=torch.full((5,), 3)))
    with pytest.raises(ValueError, match="context=labels"):
        cgan.critic_loss(x)
    with pytest.raises(ValueError, match="0..9"):
        cgan.sample(2, context=torch.tensor([0, 10]))
    with pytest.raises(TypeError, match="int64"):
        cgan.sample(2, context=torch.zeros(2))
    with pytest.raises(base.DensityNotAvailable):
        cgan.log_prob(x, context=labels)
