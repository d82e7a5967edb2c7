"""dgm_utils.data: exact toy densities checked against independent computations, and the digits."""

import math

import pytest
import torch

from dgm_utils import data

TOY_NAMES = sorted(data.TOY_DISTRIBUTIONS)


def _seeded(seed):
    return torch.Generator().manual_seed(seed)


def _cell_centres(bounds, resolution):
    """Midpoints of a resolution x resolution grid over the box (float64) and the cell area."""
    (x_low, x_high), (y_low, y_high) = bounds
    dx, dy = (x_high - x_low) / resolution, (y_high - y_low) / resolution
    xs = x_low + dx * (torch.arange(resolution, dtype=torch.float64) + 0.5)
    ys = y_low + dy * (torch.arange(resolution, dtype=torch.float64) + 0.5)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1), dx * dy


def _density_on_grid(toy, resolution):
    points, cell_area = _cell_centres(toy.bounds, resolution)
    return toy.log_prob(points).exp().reshape(resolution, resolution), cell_area  # rows: y, columns: x


@pytest.fixture(scope="module", params=TOY_NAMES)
def toy(request):
    return data.make_toy(request.param)


# ---------------------------------------------------------------------------------------------------
# interface


def test_toy_interface_shapes_dtypes_and_reproducible_sampling(toy):
    assert toy.num_features == 2 and isinstance(toy.name, str)
    (x_low, x_high), (y_low, y_high) = toy.bounds
    assert x_low < x_high and y_low < y_high
    x = toy.sample(500, generator=_seeded(3))
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.equal(x, toy.sample(500, generator=_seeded(3)))
    assert not torch.equal(x, toy.sample(500, generator=_seeded(4)))
    assert toy.sample(0).shape == (0, 2)
    log_p32 = toy.log_prob(x)
    log_p64 = toy.log_prob(x.double())
    assert log_p32.shape == (500,) and log_p32.dtype == torch.float32 and log_p64.dtype == torch.float64
    assert torch.isfinite(log_p64).all(), "every sample must lie where the density is positive"
    torch.testing.assert_close(log_p32.double(), log_p64, rtol=1e-5, atol=1e-5)


def test_make_toy_forwards_arguments_and_rejects_unknown_names():
    assert set(TOY_NAMES) == {"ring", "grid", "checkerboard", "banana"}
    assert data.make_toy("ring", num_components=5).num_components == 5
    assert data.make_toy("grid", size=3).num_components == 9
    with pytest.raises(ValueError, match="banana.*checkerboard.*grid.*ring"):
        data.make_toy("moons")
    with pytest.raises(TypeError):
        data.make_toy("ring", wrong_argument=1)


def test_bad_inputs_raise_with_clear_messages():
    toy = data.make_toy("ring")
    with pytest.raises(TypeError, match="torch.Tensor"):
        toy.log_prob([[0.0, 0.0]])
    with pytest.raises(TypeError, match="floating-point"):
        toy.log_prob(torch.zeros(3, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(N, 2\).*\(3, 3\)"):
        toy.log_prob(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="non-negative"):
        toy.sample(-1)
    with pytest.raises(TypeError, match="int"):
        toy.sample(2.5)
    with pytest.raises(TypeError, match="Generator"):
        toy.sample(3, generator=0)
    with pytest.raises(ValueError, match=r"means must have shape \(K, 2\)"):
        data.GaussianMixture2D(torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="stds"):
        data.GaussianMixture2D(torch.zeros(3, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match="stds positive"):
        data.GaussianMixture2D(torch.zeros(3, 2), -1.0)
    with pytest.raises(ValueError, match="weights"):
        data.GaussianMixture2D(torch.zeros(3, 2), 1.0, weights=[1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="num_squares"):
        data.Checkerboard(num_squares=0)
    with pytest.raises(ValueError, match="half_width"):
        data.Checkerboard(half_width=-1.0)
    with pytest.raises(ValueError, match="std1"):
        data.Banana(std1=0.0)
    with pytest.raises(ValueError, match="radius"):
        data.ring(radius=float("nan"))


# ---------------------------------------------------------------------------------------------------
# exactness of the densities


def test_density_integrates_to_one_and_the_box_holds_the_mass(toy):
    density, cell_area = _density_on_grid(toy, 400)
    assert abs(float(density.sum()) * cell_area - 1.0) < 1e-3
    x = toy.sample(20_000, generator=_seeded(0))
    (x_low, x_high), (y_low, y_high) = toy.bounds
    outside = (x[:, 0] < x_low) | (x[:, 0] > x_high) | (x[:, 1] < y_low) | (x[:, 1] > y_high)
    assert outside.float().mean() < 1e-3


def test_histogram_of_samples_matches_the_integrated_density(toy):
    """Pearson chi-square of sample counts in 10 x 10 cells against the integrated density."""
    num_cells, sub_cells, num_samples = 10, 20, 20_000
    density, cell_area = _density_on_grid(toy, num_cells * sub_cells)
    cell_probs = density.reshape(num_cells, sub_cells, num_cells, sub_cells).sum((1, 3)).reshape(-1) * cell_area

    x = toy.sample(num_samples, generator=_seeded(1)).double()
    (x_low, x_high), (y_low, y_high) = toy.bounds
    column = torch.floor((x[:, 0] - x_low) / (x_high - x_low) * num_cells).long()
    row = torch.floor((x[:, 1] - y_low) / (y_high - y_low) * num_cells).long()
    in_box = (column >= 0) & (column < num_cells) & (row >= 0) & (row < num_cells)
    counts = torch.bincount(row[in_box] * num_cells + column[in_box], minlength=num_cells**2).double()

    expected = cell_probs * num_samples
    large = expected >= 5  # pool the cells with small expectations (and the outside) into one bin
    observed = torch.cat([counts[large], (num_samples - counts[large].sum()).reshape(1)])
    expected = torch.cat([expected[large], (num_samples - expected[large].sum()).reshape(1)])
    chi_square = float(((observed - expected) ** 2 / expected).sum())
    degrees_of_freedom = len(observed) - 1
    # mean + 8 standard deviations of the chi-square distribution: a correct toy never gets there
    assert chi_square < degrees_of_freedom + 8 * math.sqrt(2 * degrees_of_freedom), (chi_square, degrees_of_freedom)


def test_entropy_agrees_with_grid_integration_and_monte_carlo(toy):
    density, cell_area = _density_on_grid(toy, 300)
    positive = density > 0
    grid_entropy = -float((density[positive] * density[positive].log()).sum()) * cell_area

    x = toy.sample(50_000, generator=_seeded(2)).double()
    log_p = toy.log_prob(x)
    monte_carlo = -float(log_p.mean())
    standard_error = float(log_p.std()) / math.sqrt(len(x))

    entropy = toy.entropy()
    assert isinstance(entropy, float)
    # the toy's own Monte Carlo (if any) uses 200k samples: its error is half of ours
    assert abs(entropy - monte_carlo) < 5 * standard_error + 1e-9
    assert abs(entropy - grid_entropy) < 5 * standard_error + 2e-3


def test_monte_carlo_entropy_is_cached_and_depends_on_the_seed():
    toy = data.ring()
    first = toy.entropy(num_samples=20_000, seed=5)
    assert toy.entropy(num_samples=20_000, seed=5) == first
    other = toy.entropy(num_samples=20_000, seed=6)
    assert other != first and abs(other - first) < 0.05


def test_gaussian_mixture_matches_torch_distributions():
    means = torch.tensor([[0.0, 1.0], [-2.0, 0.5], [1.5, -1.0]])
    stds = torch.tensor([[0.3, 0.6], [1.0, 0.2], [0.5, 0.5]])
    weights = torch.tensor([2.0, 1.0, 1.0])  # normalized by the class
    toy = data.GaussianMixture2D(means, stds, weights, name="three")
    reference = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(probs=weights / weights.sum()),
        torch.distributions.Independent(torch.distributions.Normal(means, stds), 1),
    )
    x = torch.randn(300, 2, generator=_seeded(0)) * 2
    torch.testing.assert_close(toy.log_prob(x), reference.log_prob(x), rtol=1e-5, atol=1e-5)
    assert toy.name == "three"
    # scalar and per-component stds broadcast to (K, 2)
    isotropic = data.GaussianMixture2D(means, torch.tensor([0.3, 1.0, 0.5]))
    torch.testing.assert_close(isotropic.stds[:, 1], torch.tensor([0.3, 1.0, 0.5], dtype=torch.float64))
    torch.testing.assert_close(data.GaussianMixture2D(means, 0.7).stds, torch.full((3, 2), 0.7, dtype=torch.float64))


def test_single_gaussian_entropy_is_the_closed_form():
    toy = data.GaussianMixture2D([[1.0, -2.0]], [[0.5, 2.0]])
    reference = torch.distributions.MultivariateNormal(torch.tensor([1.0, -2.0]), torch.diag(torch.tensor([0.25, 4.0])))
    assert toy.entropy() == pytest.approx(float(reference.entropy()), abs=1e-6)


def test_ring_and_grid_place_their_modes():
    ring = data.ring(num_components=4, radius=3.0, std=0.1)
    torch.testing.assert_close(ring.means, torch.tensor([[3.0, 0.0], [0.0, 3.0], [-3.0, 0.0], [0.0, -3.0]],
                                                        dtype=torch.float64), atol=1e-12, rtol=0)
    grid = data.grid(size=3, spacing=2.0, std=0.1)
    assert sorted(set(grid.means[:, 0].tolist())) == [-2.0, 0.0, 2.0]
    assert grid.num_components == 9
    torch.testing.assert_close(grid.weights, torch.full((9,), 1 / 9, dtype=torch.float64))


def test_banana_density_equals_change_of_variables_with_an_autograd_jacobian():
    toy = data.Banana(std1=0.8, std2=0.4, curvature=0.7)
    x = toy.sample(20, generator=_seeded(0)).double()
    z = toy.data_to_latent(x)
    torch.testing.assert_close(toy.latent_to_data(z), x)
    latent = torch.distributions.Normal(torch.zeros(2, dtype=torch.float64), torch.tensor([0.8, 0.4], dtype=torch.float64))
    for x_i, z_i, log_p_i in zip(x, z, toy.log_prob(x)):
        jacobian = torch.autograd.functional.jacobian(lambda v: toy.latent_to_data(v[None])[0], z_i)  # dx/dz (2, 2)
        expected = latent.log_prob(z_i).sum() - torch.linalg.slogdet(jacobian).logabsdet
        assert float(log_p_i) == pytest.approx(float(expected), abs=1e-10)
    # independent of the class: the curve x2 = curvature * (x1^2 - std1^2) is the ridge of the density
    ridge = torch.tensor([[1.0, 0.7 * (1.0 - 0.64)]], dtype=torch.float64)
    assert float(toy.log_prob(ridge)) == pytest.approx(float(latent.log_prob(torch.tensor([1.0, 0.0])).sum()))
    assert toy.entropy() == pytest.approx(math.log(2 * math.pi * math.e * 0.8 * 0.4))


def test_checkerboard_density_values_and_support():
    toy = data.Checkerboard(num_squares=4, half_width=2.0)
    assert toy.support_area == 8.0
    assert toy.entropy() == pytest.approx(math.log(8.0))
    points = torch.tensor([
        [-1.5, -1.5],  # bottom-left square: in the support
        [-0.5, -1.5],  # its right neighbour: not
        [1.5, 1.5],  # top-right square: in
        [0.5, 1.5],  # not
        [-1.0, -1.5],  # on the edge between a support square and an empty one: counts as inside
        [3.0, 0.0],  # off the board
        [-2.0, -2.0],  # the board's corner, in the closure of the support
    ])
    expected = torch.tensor([-math.log(8.0), -math.inf, -math.log(8.0), -math.inf, -math.log(8.0), -math.inf,
                             -math.log(8.0)])
    torch.testing.assert_close(toy.log_prob(points), expected)
    # an odd board has (n^2 + 1) / 2 support squares
    odd = data.Checkerboard(num_squares=3, half_width=1.5)
    assert odd.support_area == pytest.approx(5.0)
    density, cell_area = _density_on_grid(odd, 400)  # cell edges on the square edges
    assert float(density.sum()) * cell_area == pytest.approx(1.0, abs=1e-3)


def test_checkerboard_samples_are_exactly_uniform_on_the_support():
    toy = data.Checkerboard()
    x = toy.sample(40_000, generator=_seeded(7)).double()
    assert torch.isfinite(toy.log_prob(x)).all()
    position = (x + toy.half_width) / toy.square_width  # in square units
    square = torch.floor(position).long().clamp(0, toy.num_squares - 1)
    assert bool(((square.sum(1) % 2) == 0).all())
    # every support square equally often: chi-square with 7 degrees of freedom
    counts = torch.bincount(square[:, 0] * toy.num_squares + square[:, 1], minlength=toy.num_squares**2).double()
    counts = counts[counts > 0]
    assert len(counts) == 8
    expected = len(x) / 8
    assert float(((counts - expected) ** 2 / expected).sum()) < 7 + 8 * math.sqrt(14)
    # uniform inside the squares: the offsets have the moments of U(0, 1) (standard error ~ 1.4e-3)
    offset = position - square
    torch.testing.assert_close(offset.mean(0), torch.full((2,), 0.5, dtype=torch.float64), atol=0.01, rtol=0)
    torch.testing.assert_close(offset.var(0), torch.full((2,), 1 / 12, dtype=torch.float64), atol=0.005, rtol=0)
    torch.testing.assert_close(offset.prod(1).mean(), torch.tensor(0.25, dtype=torch.float64), atol=0.01, rtol=0)


# ---------------------------------------------------------------------------------------------------
# digits


def test_digit_splits_have_the_documented_sizes_and_values():
    sizes = {split: len(data.load_digits(split)) for split in data.SPLITS}
    assert sizes == {"train": 1000, "val": 350, "test": 447}
    x = data.load_digits("train")
    assert x.shape == (1000, 64) and x.dtype == torch.float32
    assert data.IMAGE_SHAPE == (8, 8) and data.NUM_LEVELS == 17
    assert float(x.min()) == 0.0 and float(x.max()) == 16.0
    assert torch.equal(x, x.round())
    assert len(torch.unique(torch.cat([data.load_digits(s) for s in data.SPLITS]))) == data.NUM_LEVELS
    # the splits are consecutive blocks of scikit-learn's order
    from sklearn.datasets import load_digits

    everything = torch.tensor(load_digits().data, dtype=torch.float32)
    torch.testing.assert_close(data.load_digits("val"), everything[1000:1350])
    torch.testing.assert_close(data.load_digits("test"), everything[1350:])
    labels = data.load_digit_labels("test")
    assert labels.shape == (447,) and labels.dtype == torch.long
    assert torch.equal(labels, torch.tensor(load_digits().target[1350:]))


def test_binarized_digits_and_dtypes():
    levels = data.load_digits("val", dtype=torch.long)
    assert levels.dtype == torch.long
    binary = data.load_digits("val", binarize=True)
    assert binary.dtype == torch.float32
    assert set(binary.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(binary, (levels >= data.BINARIZE_THRESHOLD).float())
    assert data.load_digits("val", dtype=torch.float64).dtype == torch.float64
    assert data.load_digits("val", binarize=True, dtype=torch.bool).dtype == torch.bool


def test_digits_bad_arguments_raise():
    with pytest.raises(ValueError, match="'train', 'val', 'test'.*'validation'"):
        data.load_digits("validation")
    with pytest.raises(TypeError, match="torch.dtype"):
        data.load_digits("train", dtype="float32")
    with pytest.raises(ValueError, match="bool"):
        data.load_digits("train", dtype=torch.bool)
    with pytest.raises(ValueError, match="split"):
        data.load_digit_labels("all")


def test_mutating_a_returned_tensor_does_not_change_later_calls():
    first = data.load_digits("train")
    reference = first.clone()
    first.fill_(-1.0)
    torch.testing.assert_close(data.load_digits("train"), reference)
    as_long = data.load_digits("train", dtype=torch.long)
    as_long.zero_()
    assert int(data.load_digits("train", dtype=torch.long).sum()) > 0
    as_uint8 = data.load_digits("train", dtype=torch.uint8)
    as_uint8.zero_()  # same dtype as the cache: must still be a copy
    assert int(data.load_digits("train", dtype=torch.uint8).sum()) > 0
    labels = data.load_digit_labels("train")
    labels.zero_()
    assert int(data.load_digit_labels("train").sum()) > 0


def test_box_gaussian_is_centred_on_the_box_with_a_quarter_of_its_widths_as_standard_deviations():
    bounds = ((-1.0, 3.0), (0.0, 0.5))  # centre (1, 0.25), widths 4 and 0.5: standard deviations 1 and 0.125
    noise = data.box_gaussian(bounds)
    assert isinstance(noise, data.GaussianMixture2D) and noise.name == "box_gaussian"
    point = torch.tensor([[2.0, 0.0]], dtype=torch.float64)  # 1 and 2 standard deviations from the centre
    expected = -math.log(2 * math.pi * 1.0 * 0.125) - 0.5 * (1.0 ** 2 + 2.0 ** 2)
    assert float(noise.log_prob(point)) == pytest.approx(expected, rel=1e-9)
    x = noise.sample(20_000, generator=_seeded(0)).double()
    for column, (centre, std) in enumerate(((1.0, 1.0), (0.25, 0.125))):
        assert abs(float(x[:, column].mean()) - centre) < 4 * std / math.sqrt(20_000)
    wide = data.box_gaussian(bounds, scale=2.0)  # standard deviations 2 and 0.25
    assert float(wide.log_prob(point)) == pytest.approx(-math.log(2 * math.pi * 2.0 * 0.25) - 0.5 * (0.25 + 1.0))
    with pytest.raises(ValueError, match="min < max"):
        data.box_gaussian(((1.0, 1.0), (0.0, 1.0)))
    with pytest.raises(ValueError, match="scale"):
        data.box_gaussian(bounds, scale=0.0)


def test_uniform_box_density_samples_and_entropy():
    box = data.UniformBox(((-1.0, 3.0), (0.0, 0.5)))                 # area 2
    x = box.sample(20_000, generator=_seeded(0))
    assert x.shape == (20_000, 2) and x.dtype == torch.float32
    assert float(x[:, 0].min()) >= -1.0 and float(x[:, 0].max()) <= 3.0
    assert float(x[:, 1].min()) >= 0.0 and float(x[:, 1].max()) <= 0.5
    # uniform: the mean of each coordinate is the centre, within 4 standard errors (width / sqrt(12 n))
    for column, (centre, width) in enumerate(((1.0, 4.0), (0.25, 0.5))):
        assert abs(float(x[:, column].mean()) - centre) < 4 * width / math.sqrt(12 * 20_000)
    inside_and_edge = torch.tensor([[0.0, 0.25], [3.0, 0.5], [-1.0, 0.0]])
    assert torch.allclose(box.log_prob(inside_and_edge), torch.full((3,), -math.log(2.0)))
    assert torch.isneginf(box.log_prob(torch.tensor([[3.01, 0.2], [0.0, -0.01]]))).all()
    assert box.entropy() == pytest.approx(math.log(2.0))
    grid_density, cell_area = _density_on_grid(box, 200)
    assert float(grid_density.sum()) * cell_area == pytest.approx(1.0, rel=1e-9)
    with pytest.raises(ValueError, match="min < max"):
        data.UniformBox(((1.0, 1.0), (0.0, 1.0)))
