"""dgm_utils.flows: nflows' habits -- finite outputs and shapes over a list of sizes, inverse round trips,
log-determinants against a brute-force autograd Jacobian, autoregressive structure, normalization on a grid,
the variational dequantizer's log q against its Jacobian, and the dequantization bound against exact
discrete probabilities (a 2-pixel, 3-level case integrated bin by bin).

Each check is a plain function raising AssertionError, and each is also run once on a deliberately broken
transform (log-det with the wrong sign or not summed over dimensions, an inverse that forgets the shift, a MAF
whose masks are all ones, a dequantizer with a wrong log q, a bound without the bin-width term) to show that
it can fail ("test the test"). Log-dets of D = 64 layers are checked against the Jacobian for a few layer
types only (time); every layer type is checked at D = 2, 3, 5.
"""

import math

import pytest
import torch

from dgm_utils import flows as fl
from dgm_utils import metrics

NUM_FEATURES = (2, 3, 5, 64)
BATCH_SIZES = (1, 7)
#: float32 round trips of these small random maps are exact to ~1e-6; 1e-4 leaves room for D = 64.
ROUND_TRIP_TOLERANCE = 1e-4
#: log|det| from the float64 Jacobian against the layer's float64 logabsdet.
LOGDET_TOLERANCE = 1e-6
HIDDEN = 16  # small nets keep the file fast


@pytest.fixture(autouse=True)
def _seeded():
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _perturb(module, scale=0.3):
    """Add noise to every parameter (zero-initialized last layers included) so the map is not the identity.

    Weight matrices get noise of standard deviation scale / sqrt(fan_in), so that wide layers (D = 64) stay
    well conditioned and float32 round trips stay accurate.
    """
    with torch.no_grad():
        for parameter in module.parameters():
            fan_in = parameter.shape[-1] if parameter.dim() == 2 else 1
            parameter.add_(scale / math.sqrt(fan_in) * torch.randn_like(parameter))
    return module


# ----------------------------------------------------------------------------------------------------
# Deliberately broken transforms.


class WrongSignCoupling(fl.AffineCoupling):
    def forward(self, x):
        z, logabsdet = super().forward(x)
        return z, -logabsdet


class ForgetsShiftCoupling(fl.AffineCoupling):
    def inverse(self, z):
        shift, log_scale = self.shift_and_log_scale(z * self.mask)
        x = z * self.mask + (1 - self.mask) * z * torch.exp(-log_scale)  # the shift is not undone
        return x, -((1 - self.mask) * log_scale).sum(1)


class PerDimensionLogdetCoupling(fl.AffineCoupling):
    def forward(self, x):
        shift, log_scale = self.shift_and_log_scale(x * self.mask)
        z = x * self.mask + (1 - self.mask) * (x * torch.exp(log_scale) + shift)
        return z, (1 - self.mask) * log_scale  # (N, D): the sum over dimensions is missing


def _non_autoregressive_maf(num_features):
    layer = fl.MAFLayer(num_features, HIDDEN)
    for module in layer.modules():
        if hasattr(module, "set_mask"):
            module.set_mask(torch.ones_like(module.mask))
    return layer


class NoBinWidthDequantizedFlow(fl.DequantizedFlow):
    def _log_prob_bound(self, x, **kwargs):
        return super()._log_prob_bound(x, **kwargs) + self.num_features * math.log(self.num_levels)


# ----------------------------------------------------------------------------------------------------
# The checks.

TRANSFORMS = {
    "coupling_even": lambda d: fl.AffineCoupling(fl.alternating_mask(d), hidden_features=HIDDEN),
    "coupling_odd": lambda d: fl.AffineCoupling(fl.alternating_mask(d, even=False), hidden_features=HIDDEN),
    "spline_coupling": lambda d: fl.SplineCoupling(fl.alternating_mask(d), num_bins=5, hidden_features=HIDDEN),
    "maf": lambda d: fl.MAFLayer(d, HIDDEN),
    "maf_reversed": lambda d: fl.MAFLayer(d, HIDDEN, 1, torch.arange(d - 1, -1, -1)),
    "iaf": lambda d: fl.IAFLayer(d, HIDDEN),
    "reverse_permutation": fl.ReversePermutation,
    "random_permutation": lambda d: fl.RandomPermutation(d, seed=1),
    "lu_linear": fl.LULinear,
    "actnorm": fl.ActNorm,
    "inverse_lu": lambda d: fl.InverseTransform(fl.LULinear(d, seed=2)),
    "composite": lambda d: fl.CompositeTransform([
        fl.ActNorm(d), fl.AffineCoupling(fl.alternating_mask(d), hidden_features=HIDDEN), fl.LULinear(d),
        fl.MAFLayer(d, HIDDEN)]),
}


def _make(name, num_features):
    transform = _perturb(TRANSFORMS[name](num_features)).eval()
    return transform


def check_finite_shapes(transform, x):
    z, logabsdet = transform(x)
    assert z.shape == x.shape and logabsdet.shape == (x.shape[0],), \
        f"forward returned shapes {tuple(z.shape)}, {tuple(logabsdet.shape)} for x of shape {tuple(x.shape)}"
    assert torch.isfinite(z).all() and torch.isfinite(logabsdet).all()
    x_back, inverse_logabsdet = transform.inverse(z)
    assert x_back.shape == x.shape and inverse_logabsdet.shape == (x.shape[0],)
    assert torch.isfinite(x_back).all() and torch.isfinite(inverse_logabsdet).all()


def check_round_trip(transform, x):
    z, logabsdet = transform(x)
    x_back, inverse_logabsdet = transform.inverse(z)
    error = float((x_back - x).detach().abs().max())
    assert error < ROUND_TRIP_TOLERANCE, f"inverse(forward(x)) differs from x by {error:.2e}"
    z_again, _ = transform(x_back)
    assert float((z_again - z).detach().abs().max()) < ROUND_TRIP_TOLERANCE
    det_error = float((logabsdet + inverse_logabsdet).detach().abs().max())
    assert det_error < ROUND_TRIP_TOLERANCE * x.shape[1], f"forward + inverse log-dets = {det_error:.2e}, not 0"


def check_logabsdet(transform, x, num_rows=2):
    """logabsdet of forward and inverse against log|det J| of the autograd Jacobian, in float64."""
    transform = transform.double()
    x = x[:num_rows].double()
    for direction in (transform.forward, transform.inverse):
        _, logabsdet = direction(x)
        for i in range(len(x)):
            jacobian = torch.autograd.functional.jacobian(lambda row: direction(row[None])[0][0], x[i])  # (D, D)
            expected = torch.linalg.slogdet(jacobian).logabsdet
            error = abs(float((logabsdet[i] - expected).detach()))
            assert error < LOGDET_TOLERANCE * max(1.0, abs(float(expected))), \
                f"{direction.__name__}: logabsdet {float(logabsdet[i].detach()):.6f}, " \
                f"log|det J| = {float(expected):.6f}"


def check_autoregressive(layer, ordering, num_points=16):
    """MAF structure: output d of the conditioner depends exactly on the inputs before d in ``ordering``.

    Forbidden dependencies: the Jacobian entry must be exactly zero at ``num_points`` random points (rows
    are independent, so the Jacobian of the batch sum gives every point's Jacobian at once). Allowed ones:
    the product of the layer masks must connect them (a numerical zero can come from dead ReLUs).
    """
    num_features = layer.num_features
    layer = layer.double()
    x = 2 * torch.randn(num_points, num_features, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda rows: layer.net(rows).sum(0), x)  # (2D, P, D)
    depends = (jacobian != 0).any(1)  # (2D, D)
    z_jacobian = torch.autograd.functional.jacobian(lambda rows: layer(rows)[0].sum(0), x)  # (D, P, D)
    z_depends = (z_jacobian != 0).any(1)  # (D, D)
    rank = torch.empty(num_features, dtype=torch.long)
    rank[ordering] = torch.arange(num_features)  # position of each dimension in the ordering
    allowed = (rank[None, :] < rank[:, None]).repeat(2, 1)  # (2D, D): input j before output d
    assert not bool(depends[~allowed].any()), "an output depends on an input that is not before it"
    paths = torch.eye(num_features, dtype=torch.float64)
    for module in layer.net.modules():
        if hasattr(module, "mask"):
            paths = module.mask.double() @ paths  # number of paths through the masked layers
    assert bool((paths > 0)[allowed].all()), "an allowed dependency has no path through the masks"
    strictly_after = rank[None, :] > rank[:, None]  # (D, D)
    assert not bool(z_depends[strictly_after].any()), "dz/dx is not triangular in the ordering"
    assert bool(z_depends.diagonal().all()), "dz_d/dx_d is zero"


def check_integrates_to_one(flow, bounds=((-12.0, 12.0), (-12.0, 12.0)), resolution=400, tolerance=0.01):
    """Grid integral of p over a box plus the fraction of the flow's samples outside it equals 1."""
    with torch.no_grad():
        samples = flow.sample(20_000, generator=torch.Generator().manual_seed(0))
    (x_low, x_high), (y_low, y_high) = bounds
    inside = ((samples[:, 0] > x_low) & (samples[:, 0] < x_high) & (samples[:, 1] > y_low) & (samples[:, 1] < y_high))
    total = metrics.grid_integral(flow, bounds, resolution) + float((~inside).float().mean())
    assert abs(total - 1) < tolerance, f"the density integrates to {total:.4f}, not 1"


# ----------------------------------------------------------------------------------------------------
# Tests of the transforms over shapes.


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize("num_features", NUM_FEATURES)
def test_transform_properties(name, num_features):
    transform = _make(name, num_features)
    for batch_size in BATCH_SIZES:
        x = torch.randn(batch_size, num_features)
        check_finite_shapes(transform, x)
        check_round_trip(transform, x)
    if num_features <= 5 or name in ("coupling_even", "lu_linear"):  # D = 64 Jacobians for a few (time)
        check_logabsdet(transform, torch.randn(2, num_features))


@pytest.mark.parametrize("num_features", NUM_FEATURES)
def test_logit_transform(num_features):
    transform = fl.LogitTransform(num_features, alpha=0.05)
    for batch_size in BATCH_SIZES:
        x = torch.rand(batch_size, num_features)
        check_finite_shapes(transform, x)
        check_round_trip(transform, x)
    check_logabsdet(transform, torch.rand(2, num_features))
    check_finite_shapes(transform, torch.tensor([[0.0, 1.0] * (num_features // 2) + [0.0] * (num_features % 2)]))


def test_checks_fail_on_broken_transforms():
    x = torch.randn(7, 3)
    with pytest.raises(AssertionError, match="logabsdet"):
        check_logabsdet(_perturb(WrongSignCoupling(fl.alternating_mask(3), hidden_features=HIDDEN)), x)
    with pytest.raises(AssertionError, match="shape"):
        check_finite_shapes(_perturb(PerDimensionLogdetCoupling(fl.alternating_mask(3), hidden_features=HIDDEN)), x)
    with pytest.raises(AssertionError, match="differs"):
        check_round_trip(_perturb(ForgetsShiftCoupling(fl.alternating_mask(3), hidden_features=HIDDEN)), x)
    with pytest.raises(AssertionError, match="depends"):
        check_autoregressive(_perturb(_non_autoregressive_maf(3)), torch.arange(3))


@pytest.mark.parametrize("num_features", (2, 5, 64))
def test_maf_is_autoregressive(num_features):
    hidden = max(HIDDEN, num_features)  # H >= D - 1: every allowed dependency has a path
    for ordering in (torch.arange(num_features), torch.randperm(num_features)):
        check_autoregressive(_perturb(fl.MAFLayer(num_features, hidden, 2, ordering)), ordering)


def test_fresh_layers_are_the_identity():
    x = torch.randn(7, 4)
    for layer in (fl.AffineCoupling(fl.alternating_mask(4)), fl.SplineCoupling(fl.alternating_mask(4)), fl.MAFLayer(4),
                  fl.IAFLayer(4), fl.LULinear(4, random_init=False)):
        z, logabsdet = layer(x)
        assert torch.allclose(z, x, atol=1e-6) and torch.allclose(logabsdet, torch.zeros(7), atol=1e-6)


def test_coupling_keeps_the_masked_dimensions():
    layer = _perturb(fl.AffineCoupling(fl.alternating_mask(5)))
    x = torch.randn(7, 5)
    z, _ = layer(x)
    assert torch.equal(z[:, ::2], x[:, ::2]) and not torch.allclose(z[:, 1::2], x[:, 1::2])


def test_spline_is_the_identity_outside_its_interval():
    layer = _perturb(fl.SplineCoupling(fl.alternating_mask(2), num_bins=4, bound=3.0, hidden_features=HIDDEN))
    x = torch.tensor([[0.5, 7.0], [-1.0, -3.5], [2.0, 1.0]])
    z, logabsdet = layer(x)
    assert torch.equal(z[:2], x[:2]) and torch.equal(logabsdet[:2], torch.zeros(2))
    assert not torch.allclose(z[2], x[2])  # inside the interval the spline moves the point


def test_realnvp_takes_a_net_factory():
    calls = []

    def net_factory(in_features, out_features):
        calls.append((in_features, out_features))
        return torch.nn.Sequential(torch.nn.Linear(in_features, 8), torch.nn.Tanh(), torch.nn.Linear(8, out_features))

    flow = fl.realnvp(3, num_layers=2, net_factory=net_factory)
    assert calls == [(3, 6), (3, 6)] and flow.log_prob(torch.randn(4, 3)).shape == (4,)


def test_actnorm_initializes_on_the_first_training_batch():
    layer = fl.ActNorm(3)
    x = torch.randn(500, 3) * torch.tensor([0.1, 2.0, 5.0]) + torch.tensor([3.0, -1.0, 0.0])
    layer.eval()
    layer(x)
    assert not bool(layer.initialized), "eval mode must not initialize"
    layer.train()
    z, _ = layer(x)
    assert bool(layer.initialized)
    assert torch.allclose(z.mean(0), torch.zeros(3), atol=1e-4) and torch.allclose(z.std(0, unbiased=False),
                                                                                  torch.ones(3), atol=1e-4)
    z2, _ = layer(x * 2)  # later batches do not re-initialize
    assert torch.allclose(z2.std(0, unbiased=False), 2 * torch.ones(3), atol=1e-3)


def test_lu_linear_weight_and_determinant():
    layer = _perturb(fl.LULinear(6, seed=3))
    with torch.no_grad():
        weight = layer.weight().double()
        assert abs(float(torch.linalg.slogdet(weight).logabsdet - layer.log_diag.sum())) < 1e-4
    x = torch.randn(4, 6)
    assert torch.allclose(layer(x)[0], x @ layer.weight().T + layer.bias, atol=1e-6)


def test_iaf_is_the_inverse_of_a_maf():
    iaf = _perturb(fl.IAFLayer(4, HIDDEN))
    z = torch.randn(5, 4)
    x, logabsdet = iaf.inverse(z)
    expected, expected_logabsdet = iaf.transform(z)  # the wrapped MAF's one-pass forward
    assert torch.equal(x, expected) and torch.equal(logabsdet, expected_logabsdet)


def test_forward_with_intermediates():
    transform = _perturb(fl.realnvp(2, num_layers=3, hidden_features=HIDDEN).transform)
    x = torch.randn(6, 2)
    outputs = transform.forward_with_intermediates(x)
    assert len(outputs) == 4 and outputs[0] is x
    assert torch.allclose(outputs[-1], transform(x)[0])


# ----------------------------------------------------------------------------------------------------
# Flows: normalization, sampling, loss.


@pytest.mark.parametrize("factory", [fl.realnvp, fl.neural_spline_flow, fl.maf, fl.iaf],
                         ids=["realnvp", "spline", "maf", "iaf"])
def test_flow_density_integrates_to_one(factory):
    flow = _perturb(factory(2, num_layers=3, hidden_features=HIDDEN), scale=0.2).eval()
    check_integrates_to_one(flow)


def test_integral_check_fails_on_wrong_sign():
    layers = [_perturb(WrongSignCoupling(fl.alternating_mask(2, k % 2 == 0), hidden_features=HIDDEN), 0.2)
              for k in range(3)]
    with pytest.raises(AssertionError, match="integrates"):
        check_integrates_to_one(fl.Flow(fl.CompositeTransform(layers)))


def test_flow_interface():
    flow = _perturb(fl.realnvp(3, num_layers=2, hidden_features=HIDDEN, actnorm=True))
    x = torch.randn(9, 3)
    flow.train()
    loss = flow.loss(x)
    assert loss.shape == () and torch.isclose(loss, -flow.log_prob(x).mean())
    loss.backward()
    assert all(p.grad is not None for p in flow.parameters())
    samples = flow.sample(11, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (11, 3)
    assert torch.equal(samples, flow.sample(11, generator=torch.Generator().manual_seed(1)))
    x_sampled, log_p = flow.sample_and_log_prob(5)
    assert torch.allclose(log_p, flow.log_prob(x_sampled), atol=1e-4)
    assert flow.transform_to_noise(x).shape == (9, 3)
    normal = fl.StandardNormal(3)
    z = torch.randn(4, 3)
    assert torch.allclose(normal.log_prob(z), torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1))


def test_training_a_flow_improves_the_likelihood():
    from dgm_utils import data, train

    toy = data.make_toy("banana")
    flow = fl.realnvp(2, num_layers=4, hidden_features=32)
    x = toy.sample(1000, generator=torch.Generator().manual_seed(0))
    before = metrics.evaluate_nll(flow, x)
    train.fit(flow, toy, num_steps=50, batch_size=128, lr=3e-3, progress=False, device="cpu")
    after = metrics.evaluate_nll(flow, x)
    assert after < before - 0.3 and after < toy.entropy() + 0.5, (before, after, toy.entropy())


# ----------------------------------------------------------------------------------------------------
# Dequantization: the bound against exact discrete probabilities on a tiny case.


def _exact_discrete_log_probs(model, resolution=120):
    """log P(x) for every x in {0..K-1}^2 by integrating the continuous density over each bin (midpoint rule)."""
    num_levels = model.num_levels
    offsets = (torch.arange(resolution, dtype=torch.float64) + 0.5) / resolution  # (R,)
    uu, vv = torch.meshgrid(offsets, offsets, indexing="ij")
    cell = torch.stack([uu.reshape(-1), vv.reshape(-1)], 1)  # (R^2, 2) in (0, 1)^2
    levels = torch.cartesian_prod(torch.arange(num_levels), torch.arange(num_levels)).double()  # (K^2, 2)
    log_probs = []
    with torch.no_grad():
        for x in levels:
            y = ((x + cell) / num_levels).float()
            log_p = model.continuous_log_prob(y).double()  # (R^2,)
            log_probs.append(torch.logsumexp(log_p, 0) - 2 * math.log(num_levels * resolution))
    return levels.float(), torch.stack(log_probs)


def check_bound(model, num_samples=4000):
    """E[bound] <= log P(x) for every x, up to 4 standard errors of the Monte Carlo mean."""
    levels, exact = _exact_discrete_log_probs(model)
    assert abs(float(torch.logsumexp(exact, 0))) < 1e-3, "the exact probabilities do not sum to 1"
    with torch.no_grad():
        draws = model.log_prob_bound(levels.repeat(num_samples, 1)).reshape(num_samples, len(levels))  # (S, K^2)
    mean, stderr = draws.mean(0).double(), draws.std(0).double() / math.sqrt(num_samples)
    excess = mean - exact - 4 * stderr - 1e-3
    assert bool((excess <= 0).all()), f"the bound exceeds log P(x) by up to {float(excess.max()):.3f} nats"
    return exact, mean


@pytest.mark.parametrize("dequantizer", ["uniform", "variational"])
def test_dequantized_bound_is_below_the_exact_log_probability(dequantizer):
    flow = _perturb(fl.realnvp(2, num_layers=2, hidden_features=HIDDEN), 0.5)
    model = fl.DequantizedFlow(flow, num_levels=3, dequantizer=dequantizer, hidden_features=HIDDEN).eval()
    if dequantizer == "variational":
        _perturb(model.dequantizer, 0.3)
    exact, mean = check_bound(model)
    with torch.no_grad():  # the importance-weighted bound is tighter but still a bound
        levels = torch.cartesian_prod(torch.arange(3), torch.arange(3)).float()
        weighted = model.log_prob_bound(levels.repeat(200, 1), num_samples=20, importance_weighted=True)
        weighted = weighted.reshape(200, len(levels)).mean(0).double()
    assert bool((weighted <= exact + 0.02).all()) and bool((weighted >= mean - 0.02).all())
    broken = NoBinWidthDequantizedFlow(flow, num_levels=3, dequantizer=dequantizer, hidden_features=HIDDEN).eval()
    if dequantizer == "variational":
        broken.dequantizer.load_state_dict(model.dequantizer.state_dict())
    with pytest.raises(AssertionError, match="exceeds"):
        check_bound(broken, num_samples=200)


class WrongSignDequantizer(fl.VariationalDequantizer):
    def forward(self, x, eps=None):
        u, log_q = super().forward(x, eps)
        h = torch.logit(u.double()).to(u.dtype)
        return u, log_q + 2 * (torch.nn.functional.logsigmoid(h) + torch.nn.functional.logsigmoid(-h)).sum(1)


def check_dequantizer_density(dequantizer, x):
    """log q(u | x) = log N(eps) - log |det du/deps| with the autograd Jacobian of eps -> u (float64)."""
    dequantizer = dequantizer.double()
    x, eps = x.double(), torch.randn(x.shape, dtype=torch.float64)
    _, log_q = dequantizer(x, eps)
    for i in range(len(x)):
        jacobian = torch.autograd.functional.jacobian(lambda e: dequantizer(x[i:i + 1], e[None])[0][0], eps[i])
        expected = (torch.distributions.Normal(0.0, 1.0).log_prob(eps[i]).sum()
                    - torch.linalg.slogdet(jacobian).logabsdet)
        assert abs(float((log_q[i] - expected).detach())) < 1e-6, \
            f"log q(u|x) = {float(log_q[i].detach()):.6f}, but the change of variables gives {float(expected):.6f}"


@pytest.mark.parametrize("num_features", (2, 5))
def test_variational_dequantizer_density(num_features):
    x = torch.randint(0, 5, (3, num_features)).float()
    check_dequantizer_density(_perturb(fl.VariationalDequantizer(num_features, 5, hidden_features=HIDDEN)), x)
    with pytest.raises(AssertionError, match="change of variables"):
        check_dequantizer_density(_perturb(WrongSignDequantizer(num_features, 5, hidden_features=HIDDEN)), x)


def test_dequantized_flow_on_digit_shapes():
    from dgm_utils import data

    x = data.load_digits("train")[:8]
    for dequantizer in ("uniform", "variational"):
        model = fl.DequantizedFlow(fl.realnvp(64, num_layers=2, hidden_features=HIDDEN), 17, dequantizer)
        log_p = model.log_prob_bound(x, num_samples=3)
        assert log_p.shape == (8,) and torch.isfinite(log_p).all()
        assert float(log_p.detach().max()) < 0  # a log-probability of a discrete event
        model.loss(x).backward()
        samples = model.sample(5)
        assert samples.shape == (5, 64) and torch.equal(samples, samples.round())
        assert samples.min() >= 0 and samples.max() <= 16


# ----------------------------------------------------------------------------------------------------
# Bad input.


def test_bad_input_raises_clear_errors():
    layer = fl.AffineCoupling(fl.alternating_mask(3))
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        layer(torch.randn(4, 2))
    with pytest.raises(TypeError, match="floating"):
        layer(torch.ones(4, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="Tensor"):
        layer([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="0 and 1"):
        fl.AffineCoupling(torch.tensor([0.0, 0.5, 1.0]))
    with pytest.raises(ValueError, match="permutation"):
        fl.Permutation(torch.tensor([0, 0, 1]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fl.LogitTransform(2)(torch.tensor([[0.5, 1.5]]))
    with pytest.raises(fl.InverseNotAvailable):
        fl.Transform().inverse(torch.zeros(1, 2))
    assert issubclass(fl.InverseNotAvailable, NotImplementedError)
    with pytest.raises(ValueError, match="num_features"):
        fl.CompositeTransform([fl.LULinear(2), fl.LULinear(3)])
    with pytest.raises(TypeError, match="Transform"):
        fl.Flow(torch.nn.Linear(2, 2))
    model = fl.DequantizedFlow(fl.realnvp(2, num_layers=1), num_levels=3)
    with pytest.raises(ValueError, match="integer levels"):
        model.log_prob_bound(torch.tensor([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="integer levels"):
        model.log_prob_bound(torch.tensor([[3.0, 1.0]]))
    with pytest.raises(ValueError, match="dequantizer"):
        fl.DequantizedFlow(fl.realnvp(2, num_layers=1), dequantizer="gaussian")
