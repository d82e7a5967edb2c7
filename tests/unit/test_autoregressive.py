"""dgm_utils.autoregressive: autoregressive structure (Jacobians), exact normalization, exact sampling.

Three properties characterize a correct autoregressive model, and each test below checks one of them
against an independent computation:

* structure: output t depends only on inputs before t in the ordering. For continuous network inputs this
  is read off the Jacobian (exact zeros where a dependency is forbidden); for token models it is read off
  by changing one input token and seeing which outputs move;
* normalization: the probabilities of all configurations of a tiny model sum to 1 (enumeration);
* sampling: sample frequencies match the exact probabilities (a chi-square test, fixed seed, small level).

Each check is also run on a deliberately broken model, to show the check can fail ("test the test").
"""

import itertools

import pytest
import torch
from scipy import stats

from dgm_utils import autoregressive as ar
from dgm_utils import metrics

#: Chi-square tests reject at this level: a correct sampler fails with probability 1e-4 for a random seed.
SIGNIFICANCE = 1e-4
#: A dependency counts as present when an output moves by more than this (real ones move by ~1e-2).
DEPENDENCY_THRESHOLD = 1e-6


@pytest.fixture(autouse=True)
def _seeded():
    """Random initial weights are drawn from the global generator: make each test independent of the others."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        yield


def _sharpen(model, scale=3.0):
    """Scale every parameter so that the conditionals are far from uniform and strongly dependent."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    return model.eval()


def _all_configurations(num_dims, num_values):
    return torch.tensor(list(itertools.product(range(num_values), repeat=num_dims)))  # (V^D, D)


def _assert_chi_square_matches(samples, configurations, log_probs, what):
    """Counts of each configuration among ``samples`` against n * exp(log_probs) (all configurations listed)."""
    matches = (samples[:, None, :] == configurations[None, :, :].to(samples.dtype)).all(-1)  # (n, C)
    assert bool(matches.sum(1).eq(1).all()), f"{what}: some samples are not valid configurations"
    observed = matches.sum(0).double()
    expected = log_probs.double().exp() * len(samples)
    expected = expected / expected.sum() * len(samples)  # remove float rounding of the total
    p_value = stats.chisquare(observed.numpy(), expected.numpy()).pvalue
    assert p_value > SIGNIFICANCE, f"{what}: sample frequencies do not match the probabilities (p = {p_value:.2e})"


# ----------------------------------------------------------------------------------------------------
# Structure checks


def _made_dependency(made, ordering=0, num_inputs=8):
    """Dependency (D, D) of MADE's conditional parameters on its inputs, grouped by dimension: the largest
    |d params_d / d input_s| over ``num_inputs`` random network inputs (several, so that a ReLU that is
    off at one input does not hide a connection)."""
    generator = torch.Generator().manual_seed(1)
    made = made.double()
    dependency = torch.zeros(made.num_features, made.num_features, dtype=torch.float64)
    for _ in range(num_inputs):
        inputs = torch.randn(1, made.num_features * made.input_width, generator=generator, dtype=torch.float64)
        jacobian = torch.autograd.functional.jacobian(lambda u: made(u, ordering), inputs)  # (1, D, P, 1, D * E)
        jacobian = jacobian.reshape(made.num_features, made.params_per_dim, made.num_features, made.input_width)
        dependency = torch.maximum(dependency, jacobian.abs().amax(dim=(1, 3)))
    return dependency  # [output dimension, input dimension]


def _pixelcnn_dependency(model):
    """Dependency (H*W, H*W) of PixelCNN's logits on its network inputs, pixels in raster order."""
    model = model.double().eval()
    generator = torch.Generator().manual_seed(1)
    num_pixels = model.image_shape[0] * model.image_shape[1]
    inputs = model.encode(torch.randint(model.num_levels, (1, *model.image_shape), generator=generator))
    inputs = inputs.double() + 0.1 * torch.randn(inputs.shape, generator=generator, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(model, inputs)  # (1, H, W, K) + (1, C, H, W)
    jacobian = jacobian.reshape(num_pixels, model.num_levels, inputs.shape[1], num_pixels)
    return jacobian.abs().amax(dim=(1, 2))  # (H*W, H*W): [output pixel, input pixel]


def _sequence_dependency(model, length, num_inputs=4):
    """Dependency (T, T) of a token model's logits: change token s of a random sequence and record how much
    the logits at each position move (largest change over ``num_inputs`` random sequences, so that a
    unit that happens to be off for one sequence does not hide a connection)."""
    model.eval()
    generator = torch.Generator().manual_seed(1)
    dependency = torch.zeros(length, length)
    with torch.no_grad():
        for _ in range(num_inputs):
            x = torch.randint(model.vocab_size, (1, length), generator=generator)
            base = model(x)  # (1, T, V)
            for s in range(length):
                changed = x.clone()
                changed[0, s] = (changed[0, s] + 1) % model.vocab_size
                change = (model(changed) - base).abs().amax(-1)[0]  # (T,)
                dependency[:, s] = torch.maximum(dependency[:, s], change)
    return dependency  # [output position, input position]


def _assert_structure(dependency, allowed, required=None, what="model"):
    """Forbidden dependencies must be exactly absent; ``required`` ones (if given) must be present."""
    present = dependency > DEPENDENCY_THRESHOLD
    leaks = (present & ~allowed).nonzero().tolist()
    assert not leaks, f"{what}: outputs depend on inputs they must not see, [output, input] pairs {leaks[:5]}"
    if required is not None:
        missing = (required & ~present).nonzero().tolist()
        assert not missing, f"{what}: expected dependencies are missing, [output, input] pairs {missing[:5]}"


def _made_allowed(made, ordering=0):
    position = torch.empty(made.num_features, dtype=torch.long)
    position[made.orderings[ordering]] = torch.arange(made.num_features)  # position of each dimension in the order
    return position[None, :] < position[:, None]  # [output d, input s]: s comes before d


def _raster_allowed(num_pixels):
    return torch.ones(num_pixels, num_pixels, dtype=torch.bool).tril(-1)


# ----------------------------------------------------------------------------------------------------
# made_masks and MaskedLinear


def test_made_masks_match_hand_computation():
    input_degrees = torch.tensor([2, 1, 3])
    hidden_degrees = [torch.tensor([1, 2, 2, 1])]
    hidden_mask, output_mask = ar.made_masks(input_degrees, hidden_degrees)
    # hidden unit k sees input j when m_hidden(k) >= m_input(j)
    assert hidden_mask.tolist() == [[0, 1, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0]]
    # output i sees hidden k when m_input(i) > m_hidden(k)
    assert output_mask.tolist() == [[1, 0, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1]]


@pytest.mark.parametrize("seed", range(4))
def test_made_mask_products_are_strictly_autoregressive(seed):
    generator = torch.Generator().manual_seed(seed)
    dim = 7
    input_degrees = torch.randperm(dim, generator=generator) + 1
    hidden_degrees = [torch.randint(1, dim, (size,), generator=generator) for size in (9, 5, 12)]
    masks = ar.made_masks(input_degrees, hidden_degrees)
    assert [tuple(m.shape) for m in masks] == [(9, 7), (5, 9), (12, 5), (7, 12)]
    connectivity = masks[0]
    for mask in masks[1:]:
        connectivity = mask @ connectivity  # paths from input j to output i
    allowed = input_degrees[None, :] < input_degrees[:, None]
    assert not bool((connectivity > 0)[~allowed].any())


def test_made_masks_reject_float_degrees():
    with pytest.raises(TypeError, match="integer"):
        ar.made_masks(torch.tensor([1.0, 2.0]), [torch.tensor([1])])


def test_masked_linear_applies_mask():
    mask = torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    layer = ar.MaskedLinear(2, 3, mask)
    x = torch.randn(4, 2)
    expected = x @ (layer.weight * mask).T + layer.bias
    assert torch.allclose(layer(x), expected)
    with pytest.raises(ValueError, match="shape"):
        layer.set_mask(torch.ones(2, 3))


# ----------------------------------------------------------------------------------------------------
# MADE


@pytest.mark.parametrize("output", ["bernoulli", "categorical", "gaussian_mixture"])
@pytest.mark.parametrize("hidden_sizes", [(8,), (16, 16), (4, 30, 12)])
def test_made_jacobian_is_strictly_triangular_in_every_ordering(output, hidden_sizes):
    made = ar.MADE(6, hidden_sizes, output=output, num_levels=3, num_components=2, num_orderings=3,
                   natural_ordering=False, seed=len(hidden_sizes))
    for ordering in range(3):
        dependency = _made_dependency(made, ordering)
        _assert_structure(dependency, _made_allowed(made, ordering), what=f"MADE ordering {ordering}")
        last, first = made.orderings[ordering, -1], made.orderings[ordering, 0]
        assert dependency[last, first] > DEPENDENCY_THRESHOLD, "the last dimension should see the first"


def test_made_structure_check_catches_a_leaking_mask():
    """Test the test: output degrees shifted by one let output d see input d, and the checks notice."""
    made = _sharpen(ar.MADE(5, (20, 20), seed=0))
    degrees = torch.arange(1, 6)
    hidden_degrees = [torch.randint(1, 5, (20,), generator=torch.Generator().manual_seed(s)) for s in (1, 2)]
    for l, mask in enumerate(ar.made_masks(degrees, hidden_degrees, degrees + 1)):
        getattr(made, f"mask_bank_{l}")[0] = mask  # the masks of ordering 0
    with pytest.raises(AssertionError, match="must not see"):
        _assert_structure(_made_dependency(made), _made_allowed(made), what="leaky MADE")
    with torch.no_grad():
        total = torch.logsumexp(made.float().log_prob(_all_configurations(5, 2)), 0)
    assert abs(float(total)) > 1e-3, "a leaking mask should also break the normalization"


@pytest.mark.parametrize("num_orderings", [1, 3])
def test_made_bernoulli_sums_to_one_over_all_binary_vectors(num_orderings):
    made = _sharpen(ar.MADE(10 if num_orderings == 1 else 7, (24, 24), num_orderings=num_orderings,
                            natural_ordering=False, seed=3))
    with torch.no_grad():
        log_probs = made.log_prob(_all_configurations(made.num_features, 2))
    assert log_probs.shape == (2 ** made.num_features,)
    assert abs(float(torch.logsumexp(log_probs.double(), 0))) < 1e-4
    assert float(log_probs.max() - log_probs.min()) > 1.0, "the test model should be far from uniform"


def test_made_categorical_sums_to_one():
    made = _sharpen(ar.MADE(3, (16,), output="categorical", num_levels=4, num_orderings=2, seed=1))
    with torch.no_grad():
        log_probs = made.log_prob(_all_configurations(3, 4))
    assert abs(float(torch.logsumexp(log_probs.double(), 0))) < 1e-4


def test_made_mixture_density_integrates_to_one():
    made = ar.MADE(2, (32, 32), output="gaussian_mixture", num_components=3, seed=0).eval()
    integral = metrics.grid_integral(made, ((-9.0, 9.0), (-9.0, 9.0)), resolution=300)
    assert abs(integral - 1.0) < 2e-3


def test_made_ensemble_is_the_average_of_its_orderings():
    made = _sharpen(ar.MADE(5, (20,), num_orderings=3, natural_ordering=False, seed=2))
    x = _all_configurations(5, 2)[:12]
    with torch.no_grad():
        per_ordering = torch.stack([made.log_prob(x, ordering=r) for r in range(3)])  # (3, 12)
        expected = torch.log(per_ordering.double().exp().mean(0))
        assert torch.allclose(made.log_prob(x).double(), expected, atol=1e-5)
        assert torch.allclose(made.loss(x), -made.log_prob(x).mean())  # eval mode: the ensemble NLL


def test_made_state_dict_round_trip_keeps_every_ordering_intact():
    """The layers hold the masks of whichever ordering ran last; loading a saved state must not mix them up."""
    made = _sharpen(ar.MADE(5, (16,), num_orderings=3, natural_ordering=False, seed=0))
    x = _all_configurations(5, 2)
    with torch.no_grad():
        made.log_prob(x, ordering=2)
        state = {k: v.clone() for k, v in made.state_dict().items()}  # layer masks are ordering 2's here
        expected = [made.log_prob(x, ordering=r) for r in range(3)]
        made.log_prob(x, ordering=1)
        made.load_state_dict(state)
        for r in (1, 0, 2):  # ordering 1 first: the one that ran just before the load
            assert torch.allclose(made.log_prob(x, ordering=r), expected[r])


def test_made_first_ordering_is_natural_and_others_random():
    made = ar.MADE(6, (8,), num_orderings=3, seed=0)
    assert made.orderings[0].tolist() == list(range(6))
    assert sorted(made.orderings[1].tolist()) == list(range(6))
    assert made.orderings[1].tolist() != list(range(6)) or made.orderings[2].tolist() != list(range(6))


@pytest.mark.parametrize("output", ["bernoulli", "categorical"])
def test_made_sampling_frequencies_match_probabilities(output):
    made = _sharpen(ar.MADE(3, (16, 16), output=output, num_levels=3, num_orderings=2, natural_ordering=False,
                            seed=4))
    num_values = 2 if output == "bernoulli" else 3
    configurations = _all_configurations(3, num_values)
    samples = made.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (20_000, 3) and samples.dtype == torch.float32
    with torch.no_grad():
        log_probs = made.log_prob(configurations)
    _assert_chi_square_matches(samples, configurations, log_probs, f"MADE {output}")


def test_sampling_check_rejects_samples_of_another_model():
    """Test the test: at this sample size the chi-square test tells two random models apart."""
    made = _sharpen(ar.MADE(3, (16, 16), seed=4))
    other = _sharpen(ar.MADE(3, (16, 16), seed=5))
    configurations = _all_configurations(3, 2)
    samples = other.sample(20_000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), pytest.raises(AssertionError, match="do not match"):
        _assert_chi_square_matches(samples, configurations, made.log_prob(configurations), "mismatch")


def test_made_mixture_samples_follow_the_density():
    """Binned chi-square: counts in a 6 x 6 grid of boxes (plus 'outside') against the integrated density."""
    made = _sharpen(ar.MADE(2, (16,), output="gaussian_mixture", num_components=2, seed=0), scale=1.5)
    low, high, num_bins, resolution = -6.0, 6.0, 6, 40  # resolution = midpoints per bin and axis
    edges = torch.linspace(low, high, num_bins + 1)
    centres = low + (high - low) / (num_bins * resolution) * (torch.arange(num_bins * resolution) + 0.5)
    grid = torch.cartesian_prod(centres, centres)  # (M, 2), first coordinate varies slowest
    with torch.no_grad():
        density = made.log_prob(grid).double().exp().reshape(num_bins, resolution, num_bins, resolution)
    cell_area = ((high - low) / (num_bins * resolution)) ** 2
    bin_probs = density.sum(dim=(1, 3)).flatten() * cell_area  # (36,)
    probs = torch.cat([bin_probs, (1.0 - bin_probs.sum()).clamp(min=1e-12)[None]])
    samples = made.sample(20_000, generator=torch.Generator().manual_seed(0)).double()
    index = torch.bucketize(samples, edges.double(), right=True) - 1  # (n, 2) bin per coordinate
    inside = ((index >= 0) & (index < num_bins)).all(1)
    flat = torch.where(inside, index[:, 0] * num_bins + index[:, 1], torch.full_like(index[:, 0], num_bins ** 2))
    observed = torch.bincount(flat, minlength=num_bins ** 2 + 1).double()
    expected = probs * len(samples)
    keep = expected > 5  # the chi-square approximation needs enough expected counts per bin
    rest_observed, rest_expected = observed[~keep].sum(), expected[~keep].sum()
    if rest_expected >= 5:  # the sparse bins together form one more category
        observed = torch.cat([observed[keep], rest_observed[None]])
        expected = torch.cat([expected[keep], rest_expected[None]])
    else:  # too rare to test by chi-square: a Poisson count of mean < 5 exceeds 20 with probability < 1e-6
        assert rest_observed <= 20, \
            f"{int(rest_observed)} samples fell where the density expects {float(rest_expected):.1f}"
        observed, expected = observed[keep], expected[keep]
    p_value = stats.chisquare(observed.numpy(), (expected / expected.sum() * observed.sum()).numpy()).pvalue
    assert p_value > SIGNIFICANCE, f"mixture MADE samples do not follow its density (p = {p_value:.2e})"


def test_made_sampling_takes_one_pass_per_dimension():
    made = ar.MADE(6, (8,), num_orderings=2, seed=0)
    calls = []
    made.network.register_forward_hook(lambda module, inputs, output: calls.append(1))
    made.sample(10, generator=torch.Generator().manual_seed(0))
    assert len(calls) == 6 * 2  # D passes per ordering that got samples


def test_made_loss_is_mean_negative_log_prob_and_trains():
    """A categorical MADE fitted to samples of a known 3-D table comes close to it (KL < 0.05 nats)."""
    generator = torch.Generator().manual_seed(0)
    configurations = _all_configurations(3, 3)
    true_log_probs = torch.log_softmax(2.0 * torch.randn(27, generator=generator), 0)
    data = configurations[torch.multinomial(true_log_probs.exp(), 4000, replacement=True, generator=generator)]
    made = ar.MADE(3, (32,), output="categorical", num_levels=3, seed=0)
    assert torch.allclose(made.loss(data.float()), -made.log_prob(data).mean())
    for _ in range(200):  # plain full-batch gradient descent on the negative log-likelihood
        made.zero_grad()
        made.loss(data).backward()
        with torch.no_grad():
            for parameter in made.parameters():
                parameter -= 1.0 * parameter.grad
    with torch.no_grad():
        kl = float((true_log_probs.exp() * (true_log_probs - made.log_prob(configurations))).sum())
    assert kl < 0.05


def test_made_rejects_bad_input():
    made = ar.MADE(4, (8,), output="categorical", num_levels=3)
    with pytest.raises(ValueError, match=r"shape \(N, 4\)"):
        made.log_prob(torch.zeros(2, 5))
    with pytest.raises(ValueError, match="0..2"):
        made.log_prob(torch.full((2, 4), 3))
    with pytest.raises(ValueError, match="integer"):
        made.log_prob(torch.full((2, 4), 0.5))
    with pytest.raises(TypeError, match="Tensor"):
        made.log_prob([[0, 1, 2, 0]])
    with pytest.raises(TypeError, match="floating-point"):
        ar.MADE(2, (8,), output="gaussian_mixture").log_prob(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="output must be one of"):
        ar.MADE(4, output="poisson")
    with pytest.raises(TypeError, match="int"):
        ar.MADE(4.0)


# ----------------------------------------------------------------------------------------------------
# PixelCNN


def test_masked_conv_kernels():
    for mask_type, centre in (("A", 0.0), ("B", 1.0)):
        layer = ar.MaskedConv2d(1, 1, 3, mask_type)
        assert layer.mask[0, 0].tolist() == [[1, 1, 1], [1, centre, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="'A' or 'B'"):
        ar.MaskedConv2d(1, 1, 3, "C")
    with pytest.raises(ValueError, match="odd"):
        ar.MaskedConv2d(1, 1, 4)


@pytest.mark.parametrize("image_shape", [(3, 3), (4, 5)])
def test_pixelcnn_logits_depend_exactly_on_earlier_pixels(image_shape):
    """Strictly lower triangular in raster order, and (first kernel covering the image) no blind spot."""
    model = ar.PixelCNN(image_shape, num_levels=3, hidden_channels=8, num_blocks=2)
    num_pixels = image_shape[0] * image_shape[1]
    allowed = _raster_allowed(num_pixels)
    _assert_structure(_pixelcnn_dependency(model), allowed, required=allowed, what="PixelCNN")


def test_pixelcnn_with_small_first_kernel_is_still_causal():
    model = ar.PixelCNN((5, 5), num_levels=2, hidden_channels=8, num_blocks=2, first_kernel_size=3)
    _assert_structure(_pixelcnn_dependency(model), _raster_allowed(25), what="PixelCNN 3x3")


def test_pixelcnn_structure_check_catches_a_type_b_first_layer():
    """Test the test: a first layer of type B lets each pixel see itself."""
    model = ar.PixelCNN((3, 3), num_levels=2, hidden_channels=8, num_blocks=1)
    model.network[0].mask.copy_(ar.MaskedConv2d(1, 1, model.network[0].kernel_size[0], "B").mask)
    with pytest.raises(AssertionError, match="must not see"):
        _assert_structure(_pixelcnn_dependency(model), _raster_allowed(9), what="PixelCNN with B first")


@pytest.mark.parametrize("image_shape, num_levels", [((3, 3), 2), ((2, 2), 3)])
def test_pixelcnn_sums_to_one_over_all_images(image_shape, num_levels):
    model = _sharpen(ar.PixelCNN(image_shape, num_levels=num_levels, hidden_channels=8, num_blocks=1),
                     scale=2.0)
    num_pixels = image_shape[0] * image_shape[1]
    with torch.no_grad():
        log_probs = model.log_prob(_all_configurations(num_pixels, num_levels))
    assert abs(float(torch.logsumexp(log_probs.double(), 0))) < 1e-4


def test_pixelcnn_sampling_frequencies_and_passes():
    model = _sharpen(ar.PixelCNN((2, 2), num_levels=2, hidden_channels=8, num_blocks=1), scale=2.0)
    calls = []
    model.network.register_forward_hook(lambda module, inputs, output: calls.append(1))
    samples = model.sample(20_000, generator=torch.Generator().manual_seed(0))
    assert len(calls) == 4, "one network pass per pixel"
    assert samples.shape == (20_000, 4) and samples.dtype == torch.float32
    configurations = _all_configurations(4, 2)
    with torch.no_grad():
        _assert_chi_square_matches(samples, configurations, model.log_prob(configurations), "PixelCNN")


def test_pixelcnn_accepts_flat_and_square_images_and_rejects_bad_ones():
    model = ar.PixelCNN((3, 3), num_levels=4, hidden_channels=4, num_blocks=1)
    x = torch.randint(4, (5, 9))
    assert torch.allclose(model.log_prob(x), model.log_prob(x.view(5, 3, 3)))
    assert torch.allclose(model.loss(x.float()), -model.log_prob(x).mean())
    with pytest.raises(ValueError, match=r"\(N, 9\) or \(N, 3, 3\)"):
        model.log_prob(torch.zeros(5, 8))
    with pytest.raises(ValueError, match="0..3"):
        model.log_prob(torch.full((5, 9), 4))
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0.0)
    with pytest.raises(TypeError, match="Tensor"):
        model.log_prob([[0] * 9])


@pytest.mark.parametrize("scan_order", ["right_to_left", "bottom_up", "reversed"])
def test_pixelcnn_scan_order_is_raster_order_of_the_flipped_image(scan_order):
    raster = ar.PixelCNN((3, 4), num_levels=3, hidden_channels=8, num_blocks=1)
    flipped = ar.PixelCNN((3, 4), num_levels=3, hidden_channels=8, num_blocks=1, scan_order=scan_order)
    flipped.load_state_dict(raster.state_dict())
    x = torch.randint(3, (6, 3, 4))
    axes = {"right_to_left": (2,), "bottom_up": (1,), "reversed": (1, 2)}[scan_order]
    with torch.no_grad():
        assert torch.allclose(flipped.log_prob(x), raster.log_prob(x.flip(axes)))
        assert not torch.allclose(flipped.log_prob(x), raster.log_prob(x))


def test_ordering_ensemble_is_normalized_and_samples_exactly():
    members = [_sharpen(ar.PixelCNN((2, 2), num_levels=3, hidden_channels=8, num_blocks=1, scan_order=order),
                        scale=2.0) for order in ("raster", "reversed")]
    ensemble = ar.OrderingEnsemble(members)
    configurations = _all_configurations(4, 3)
    with torch.no_grad():
        log_probs = ensemble.log_prob(configurations)
        expected = torch.log((members[0].log_prob(configurations).double().exp()
                              + members[1].log_prob(configurations).double().exp()) / 2)
    assert torch.allclose(log_probs.double(), expected, atol=1e-5)
    assert abs(float(torch.logsumexp(log_probs.double(), 0))) < 1e-4
    samples = ensemble.sample(20_000, generator=torch.Generator().manual_seed(0))
    _assert_chi_square_matches(samples, configurations, log_probs, "ensemble")
    assert torch.allclose(ensemble.loss(configurations), -log_probs.mean())
    with pytest.raises(TypeError, match="density models"):
        ar.OrderingEnsemble([])


def test_pixelcnn_rejects_unknown_scan_order():
    with pytest.raises(ValueError, match="scan_order must be one of raster"):
        ar.PixelCNN((2, 2), scan_order="spiral")


# ----------------------------------------------------------------------------------------------------
# Sequence models: causal transformer and WaveNet


def _tiny_transformer(vocab_size=3, block_size=8):
    return ar.CausalTransformer(vocab_size, block_size, embed_dim=16, num_heads=2, num_layers=2, dropout=0.0)


def test_transformer_output_t_depends_on_all_inputs_before_t_only():
    model = _tiny_transformer(vocab_size=5, block_size=8)
    allowed = _raster_allowed(8)
    _assert_structure(_sequence_dependency(model, 8), allowed, required=allowed, what="transformer")


def test_sequence_structure_check_catches_a_missing_shift():
    """Test the test: without the shift behind the start token, position t sees x_t."""
    model = _tiny_transformer(vocab_size=5)
    model._shift_right = lambda x: x
    with pytest.raises(AssertionError, match="must not see"):
        _assert_structure(_sequence_dependency(model, 6), _raster_allowed(6), what="unshifted transformer")


@pytest.mark.parametrize("dilations, kernel_size", [((1, 2), 2), ((1, 2, 4), 2), ((1, 3), 3)])
def test_wavenet_sees_exactly_its_receptive_field(dilations, kernel_size):
    model = ar.WaveNet(num_levels=4, channels=8, kernel_size=kernel_size, dilations=dilations)
    receptive_field = 1 + (kernel_size - 1) * sum(dilations)
    assert model.receptive_field == receptive_field
    length = receptive_field + 5
    t, s = torch.arange(length)[:, None], torch.arange(length)[None, :]
    window = (s < t) & (s >= t - receptive_field)
    _assert_structure(_sequence_dependency(model, length), window, required=window, what="WaveNet")


def test_sequence_models_sum_to_one():
    for model in (_tiny_transformer(vocab_size=3, block_size=4),
                  ar.WaveNet(num_levels=3, channels=8, dilations=(1,))):
        model = _sharpen(model, scale=2.0)
        with torch.no_grad():
            log_probs = model.log_prob(_all_configurations(5 if isinstance(model, ar.WaveNet) else 4, 3))
        assert abs(float(torch.logsumexp(log_probs.double(), 0))) < 1e-4, type(model).__name__


@pytest.mark.parametrize("kind", ["transformer", "wavenet"])
def test_sequence_sampling_frequencies(kind):
    # WaveNet with receptive field 2 on length 4: sampling must crop its context correctly
    model = _tiny_transformer(vocab_size=2, block_size=4) if kind == "transformer" else \
        ar.WaveNet(num_levels=2, channels=8, dilations=(1,))
    model = _sharpen(model, scale=2.0)
    samples = model.sample(20_000, length=4, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (20_000, 4) and samples.dtype == torch.long
    configurations = _all_configurations(4, 2)
    with torch.no_grad():
        _assert_chi_square_matches(samples, configurations, model.log_prob(configurations), kind)


def test_sampling_with_a_prompt_and_low_temperature():
    model = _sharpen(_tiny_transformer(vocab_size=4, block_size=6), scale=2.0)
    prompt = torch.tensor([3, 1])
    samples = model.sample(5, length=6, context=prompt, temperature=1e-4, generator=torch.Generator().manual_seed(0))
    assert (samples[:, :2] == prompt).all()
    greedy = prompt[None].clone()
    with torch.no_grad():
        for _ in range(4):  # near-zero temperature = always the most likely next token
            next_token = model(torch.cat([greedy, greedy.new_zeros(1, 1)], 1))[:, -1].argmax(-1)
            greedy = torch.cat([greedy, next_token[:, None]], 1)
    assert (samples == greedy).all()


def test_sequence_models_reject_bad_input():
    model = _tiny_transformer(vocab_size=3, block_size=4)
    with pytest.raises(ValueError, match="T <= 4"):
        model.log_prob(torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="0..2"):
        model.log_prob(torch.full((2, 3), 3))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        model.log_prob(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="length must be <= 4"):
        model.sample(2, length=5)
    with pytest.raises(TypeError, match="Tensor"):
        model.log_prob([[0, 1]])
    with pytest.raises(TypeError, match="prompt"):
        model.sample(2, length=3, context=[0, 1])
    with pytest.raises(ValueError, match="P <= length"):
        model.sample(2, length=2, context=torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="divisible"):
        ar.CausalTransformer(3, 4, embed_dim=10, num_heads=3)
    assert torch.allclose(model.loss(torch.ones(2, 4)), -model.log_prob(torch.ones(2, 4, dtype=torch.long)).mean())


def test_models_follow_their_device():
    """Inputs are moved to the model's device; CPU here, CUDA when present."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    made = ar.MADE(3, (8,)).to(device)
    assert made.log_prob(torch.zeros(2, 3)).device.type == device.type
    assert made.sample(2).device.type == device.type
