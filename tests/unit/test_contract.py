"""One contract for every reference model of every family (dgm_utils.base): the same checks, run on each.

A model declares its likelihood; the methods of its row work, the others raise the named exception; every model
samples reproducibly with `sample(num_samples, *, generator=None, context=None)`, refuses a context it cannot
use, trains through `loss`, and is evaluated by `dgm_utils.metrics.evaluate_nll` with the right label.
"""

import pytest
import torch

from dgm_utils import autoregressive as ar
from dgm_utils import applications, base, baselines, data, diffusion, energy, flows, implicit, latent, metrics, train
from dgm_utils.base import Likelihood

_DIGITS = data.load_digits("train")[:12]  # (12, 64) levels 0..16


def _levels(num_features, num_levels, n=12, seed=0):
    return torch.randint(num_levels, (n, num_features), generator=torch.Generator().manual_seed(seed)).float()


def _points(num_features, n=12, seed=0):
    return torch.randn(n, num_features, generator=torch.Generator().manual_seed(seed))


# name -> (factory of a small model, data it models)
MODELS = {
    "IndependentCategorical": (lambda: baselines.IndependentCategorical.fit(_DIGITS, data.NUM_LEVELS), _DIGITS),
    "GaussianMixture": (lambda: latent.GaussianMixture(3, 2), _points(2)),
    "ProbabilisticPCA": (lambda: latent.ProbabilisticPCA(4, 2), _points(4)),
    "VAE": (lambda: latent.vae_for_digits(latent_dim=2, hidden_features=16), _DIGITS),
    "MADE-bernoulli": (lambda: ar.MADE(6, (16,), output="bernoulli"), _levels(6, 2)),
    "MADE-categorical": (lambda: ar.MADE(5, (16,), output="categorical", num_levels=3, num_orderings=2),
                         _levels(5, 3)),
    "MADE-gaussian_mixture": (lambda: ar.MADE(3, (16,), output="gaussian_mixture", num_components=2), _points(3)),
    "PixelCNN": (lambda: ar.PixelCNN((3, 3), num_levels=3, hidden_channels=4, num_blocks=1), _levels(9, 3)),
    "OrderingEnsemble": (lambda: ar.OrderingEnsemble([
        ar.PixelCNN((3, 3), num_levels=3, hidden_channels=4, num_blocks=1, scan_order=order)
        for order in ("raster", "reversed")]), _levels(9, 3)),
    "CausalTransformer": (lambda: ar.CausalTransformer(5, 6, embed_dim=8, num_heads=2, num_layers=1),
                          _levels(6, 5).long()),
    "WaveNet": (lambda: ar.WaveNet(num_levels=4, channels=4, dilations=(1, 2)), _levels(7, 4).long()),
    "StandardNormal": (lambda: flows.StandardNormal(3), _points(3)),
    "RealNVP": (lambda: flows.realnvp(2, num_layers=2, hidden_features=8), _points(2)),
    "MAF": (lambda: flows.maf(3, num_layers=2, hidden_features=8), _points(3)),
    "IAF": (lambda: flows.iaf(3, num_layers=2, hidden_features=8), _points(3)),
    "NeuralSplineFlow": (lambda: flows.neural_spline_flow(2, num_layers=2, hidden_features=8), _points(2)),
    "DequantizedFlow-uniform": (lambda: flows.DequantizedFlow(flows.realnvp(4, num_layers=2, hidden_features=8),
                                                              num_levels=3), _levels(4, 3)),
    "DequantizedFlow-variational": (lambda: flows.DequantizedFlow(
        flows.realnvp(4, num_layers=2, hidden_features=8), num_levels=3, dequantizer="variational",
        hidden_features=8), _levels(4, 3)),
    "QuadratureNormalized": (lambda: energy.QuadratureNormalized(lambda x: (x ** 2).sum(dim=1) / 2,
                                                                 ((-5.0, 5.0), (-5.0, 5.0)), resolution=60),
                             _points(2)),
    "MLPEnergy": (lambda: energy.MLPEnergy(2, hidden=8, layers=1, confinement=1.0, sampler_steps=5), _points(2)),
    "GAN": (lambda: implicit.GAN(implicit.MLPGenerator(2, 2, hidden=8, layers=1),
                                 implicit.MLPCritic(2, hidden=8, layers=1, pack=2)), _points(2)),
    "GAN-wgan_gp": (lambda: implicit.GAN(implicit.MLPGenerator(3, 2, hidden=8, layers=1),
                                         implicit.MLPCritic(2, hidden=8, layers=1), objective="wgan_gp"), _points(2)),
    "ConditionalGAN": (lambda: implicit.ConditionalGAN(implicit.ConditionalGenerator(4, 10, 64, hidden=8),
                                                       implicit.ConditionalCritic(64, 10, hidden=8),
                                                       data_range=(0, 16)), _DIGITS),
    "GaussianDiffusion": (lambda: diffusion.GaussianDiffusion(diffusion.MLPDenoiser(2, hidden=8, layers=1, time_dim=4),
                                                              diffusion.make_schedule("cosine", 6), (2,)), _points(2)),
    "GaussianDiffusion-levels": (lambda: diffusion.GaussianDiffusion(
        diffusion.ConvDenoiser(channels=4, num_blocks=1, time_dim=4), diffusion.make_schedule("cosine", 6), (64,),
        num_levels=data.NUM_LEVELS), _DIGITS),
    "GaussianDiffusion-conditional": (lambda: diffusion.GaussianDiffusion(
        diffusion.MLPDenoiser(2, hidden=8, layers=1, time_dim=4, num_classes=3), diffusion.make_schedule("cosine", 6),
        (2,), num_classes=3, label_dropout=0.2), _points(2)),
    "FlowMatching": (lambda: diffusion.FlowMatching(diffusion.MLPDenoiser(2, hidden=8, layers=1, time_dim=4), (2,)),
                     _points(2)),
    "CharNGram": (lambda: applications.CharNGram(5, order=2).fit(_levels(40, 5).long().flatten()),
                  _levels(6, 5).long()),
}
TOYS = {name: data.make_toy(name) for name in data.TOY_DISTRIBUTIONS}
# sampling options a model needs beyond the common signature (sequence models without a block size need a length)
SAMPLE_OPTIONS = {"WaveNet": {"length": 7}, "CharNGram": {"length": 6}}
EXCEPTIONS = {"log_prob": base.DensityNotAvailable, "log_prob_bound": base.BoundNotAvailable,
              "energy": base.EnergyNotAvailable}


def check_contract(model, x, sample_options=()):
    """The checks every model must pass; raises AssertionError (or the model's own error) when one fails."""
    sample_options = dict(sample_options)
    assert isinstance(getattr(model, "likelihood", None), Likelihood), "the model must declare its likelihood"
    for method in ("sample", "log_prob", "log_prob_bound", "energy"):
        assert callable(getattr(model, method, None)), f"the model lacks {method} (it must raise, not be missing)"
    if isinstance(model, torch.nn.Module):
        model.eval()

    # sampling: shape, reproducibility with a generator, zero samples, bad arguments
    first = model.sample(5, generator=torch.Generator().manual_seed(3), **sample_options)
    again = model.sample(5, generator=torch.Generator().manual_seed(3), **sample_options)
    assert isinstance(first, torch.Tensor) and first.shape[0] == 5, f"sample(5) gave {getattr(first, 'shape', first)}"
    assert first.shape[1:] == x.shape[1:], f"samples {tuple(first.shape)} do not look like the data {tuple(x.shape)}"
    assert torch.equal(first, again), "the same generator seed must give the same samples"
    assert model.sample(0, **sample_options).shape[0] == 0
    with pytest.raises(TypeError):
        model.sample(2.5, **sample_options)
    with pytest.raises(ValueError):
        model.sample(-1, **sample_options)
    with pytest.raises(TypeError):
        model.sample(2, generator=0, **sample_options)
    if not getattr(model, "is_conditional", False):
        with pytest.raises(ValueError, match="context"):
            model.sample(2, context=torch.zeros(2), **sample_options)

    # the likelihood row: its method works, the others raise the named exception
    available = {Likelihood.EXACT: "log_prob", Likelihood.BOUND: "log_prob_bound",
                 Likelihood.UNNORMALIZED: "energy", Likelihood.NONE: None}[model.likelihood]
    with torch.no_grad():
        for method, error in EXCEPTIONS.items():
            if method == available:
                values = getattr(model, method)(x)
                assert isinstance(values, torch.Tensor) and values.shape == (len(x),), \
                    f"{method}(x) must have shape ({len(x)},), got {getattr(values, 'shape', values)}"
                assert bool(torch.isfinite(values).all()), f"{method}(x) is not finite"
            else:
                with pytest.raises(error):
                    getattr(model, method)(x)
        if available in ("log_prob", "log_prob_bound"):
            assert bool(torch.isfinite(getattr(model, available)(first)).all()), f"{available} of samples"

    # evaluation labels exact values and bounds
    if model.likelihood is Likelihood.EXACT:
        result = metrics.evaluate_nll(model, x)
        assert result.is_exact and result.estimator == "exact"
        with torch.no_grad():
            assert abs(float(result) + float(model.log_prob(x).double().mean())) < 1e-4
    elif model.likelihood is Likelihood.BOUND:
        result = metrics.evaluate_nll(model, x, num_samples=2)
        assert result.kind == "upper bound" and model.bound_name in result.estimator and "K=2" in result.estimator
        with pytest.raises(base.DensityNotAvailable):
            metrics.kl_gap(model, TOYS["ring"], num_samples=10)
    else:
        with pytest.raises(base.DensityNotAvailable):
            metrics.evaluate_nll(model, x)

    # training: loss is a scalar with a gradient, and the shared loop runs on it; a two-player model (a GAN)
    # has no single loss and trains through AdversarialStep
    if callable(getattr(model, "critic_loss", None)):
        with pytest.raises(base.MethodNotAvailable):
            model.loss(x)
        model.train()
        conditional = getattr(model, "is_conditional", False)
        batch = (x, torch.arange(len(x)) % model.num_classes) if conditional else x
        assert model.critic_loss(*((batch,) if not conditional else batch)).shape == ()
        history = train.fit(model, batch, step=train.AdversarialStep(model, context=conditional), num_steps=2,
                            batch_size=6, progress=False)
        assert history.num_steps == 2
    elif isinstance(model, torch.nn.Module) and any(p.requires_grad for p in model.parameters()):
        model.train()
        loss = model.loss(x)
        assert loss.shape == () and loss.requires_grad, "loss(x) must be a scalar with a gradient"
        history = train.fit(model, x, num_steps=2, batch_size=6, progress=False)
        assert history.num_steps == 2


@pytest.mark.parametrize("name", MODELS)
def test_every_reference_model_meets_the_contract(name):
    factory, x = MODELS[name]
    torch.manual_seed(0)
    check_contract(factory(), x, SAMPLE_OPTIONS.get(name, {}))


@pytest.mark.parametrize("name", TOYS)
def test_every_toy_distribution_meets_the_contract(name):
    toy = TOYS[name]
    check_contract(toy, toy.sample(12, generator=torch.Generator().manual_seed(0)))


def test_sequence_models_take_a_prompt_as_context():
    model = ar.CausalTransformer(5, 6, embed_dim=8, num_heads=2, num_layers=1)
    prompt = torch.tensor([1, 2, 3])
    samples = model.sample(4, context=prompt, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (4, 6) and bool((samples[:, :3] == prompt).all())


class _IgnoresGenerator(latent.GaussianMixture):
    def _sample(self, num_samples, *, generator, context):
        return super()._sample(num_samples, generator=None, context=context)


class _WrongShapeBound(latent.VAE):
    def _log_prob_bound(self, x, **kwargs):
        return super()._log_prob_bound(x, **kwargs)[:, None]


class _UndeclaredLikelihood(torch.nn.Module):
    def log_prob(self, x):
        return x.sum(1)


@pytest.mark.parametrize("broken, x", [
    (_IgnoresGenerator(3, 2), _points(2)),
    (_WrongShapeBound(latent.GaussianEncoder(torch.nn.Linear(64, 4)),
                      latent.CategoricalDecoder(torch.nn.Linear(2, 64 * 17)), 2), _DIGITS),
    (_UndeclaredLikelihood(), _points(2)),
], ids=["ignores-generator", "bound-of-wrong-shape", "undeclared-likelihood"])
def test_the_contract_fails_broken_models(broken, x):
    with pytest.raises(AssertionError):
        check_contract(broken, x)
