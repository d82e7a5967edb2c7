"""dgm_utils.plot: densities, samples, image grids and training curves (drawn off screen)."""

import math
import re

import matplotlib

matplotlib.use("Agg")  # the test chooses the backend; dgm_utils.plot never does

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from dgm_utils import plot  # noqa: E402
from dgm_utils.latent import GaussianMixture  # noqa: E402
from dgm_utils.train import History  # noqa: E402

BOUNDS = ((-4.0, 4.0), (-3.0, 3.0))


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    def no_show(*args, **kwargs):
        raise AssertionError("library code must not call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def _gaussian_log_prob(center=(1.0, -1.0), std=0.5):
    """log N(x; center, std^2 I) in 2-D, as a plain function (N, 2) -> (N,)."""
    mean = torch.tensor(center)

    def log_prob(x):
        return -0.5 * ((x - mean) ** 2).sum(1) / std**2 - 2 * math.log(std) - math.log(2 * math.pi)

    return log_prob


def _images(ax):
    return [artist for artist in ax.get_children() if isinstance(artist, AxesImage)]


def _collections(ax):
    return [artist for artist in ax.collections if isinstance(artist, PathCollection)]


def test_plot_density_draws_the_density_in_the_right_place():
    ax = plot.plot_density(_gaussian_log_prob(), BOUNDS, resolution=81, title="gauss")
    (image,) = _images(ax)
    density = np.asarray(image.get_array())
    assert density.shape == (81, 81)
    assert density.max() == pytest.approx(1 / (2 * math.pi * 0.25), rel=0.05)
    # The brightest pixel must sit at the centre (1, -1) in data coordinates.
    row, column = np.unravel_index(np.argmax(density), density.shape)
    (x_min, x_max), (y_min, y_max) = BOUNDS
    assert x_min + (column + 0.5) * (x_max - x_min) / 81 == pytest.approx(1.0, abs=0.1)
    assert y_min + (row + 0.5) * (y_max - y_min) / 81 == pytest.approx(-1.0, abs=0.1)
    assert tuple(image.get_extent()) == (x_min, x_max, y_min, y_max) and image.origin == "lower"
    assert ax.get_title() == "gauss"


def test_plot_density_accepts_a_model_and_evaluates_without_gradients():
    calls = []

    class Recording(GaussianMixture):
        def log_prob(self, x):
            calls.append(torch.is_grad_enabled())
            return super().log_prob(x)

    _, given_ax = plt.subplots()
    ax = plot.plot_density(Recording(3), BOUNDS, ax=given_ax, resolution=50)
    assert ax is given_ax and len(_images(ax)) == 1
    assert calls and not any(calls)


def test_minus_infinity_shows_as_zero_density():
    gaussian = _gaussian_log_prob(center=(0.0, 0.0))

    def half_plane(x):  # zero density (log = -inf) wherever x1 < 0
        return torch.where(x[:, 0] >= 0, gaussian(x), torch.full_like(x[:, 0], -math.inf))

    ax = plot.plot_density(half_plane, BOUNDS, resolution=40)
    density = np.asarray(_images(ax)[0].get_array())
    assert np.isfinite(density).all()
    assert (density[:, :20] == 0).all() and density[:, 20:].max() > 0


@pytest.mark.parametrize("bad_fn,error,fragment", [
    (lambda x: torch.full_like(x[:, 0], math.nan), ValueError, "NaN"),
    (lambda x: x, ValueError, r"shape \(\d+,\)"),
    ("not a density", TypeError, "log_prob"),
])
def test_plot_density_rejects_bad_densities(bad_fn, error, fragment):
    with pytest.raises(error, match=fragment):
        plot.plot_density(bad_fn, BOUNDS, resolution=10)


@pytest.mark.parametrize("bounds,error", [((-1, 1), TypeError), (((1.0, -1.0), (0.0, 1.0)), ValueError),
                                          (((0.0, math.inf), (0.0, 1.0)), ValueError), ("box", TypeError)])
def test_bad_bounds_are_explained(bounds, error):
    with pytest.raises(error, match="bounds"):
        plot.plot_density(_gaussian_log_prob(), bounds, resolution=10)


def test_plot_samples_scatters_every_point():
    x = torch.randn(300, 2)
    ax = plot.plot_samples(x, bounds=BOUNDS, title="samples")
    (collection,) = _collections(ax)
    np.testing.assert_allclose(collection.get_offsets(), x.numpy(), rtol=1e-6)
    assert ax.get_xlim() == BOUNDS[0] and ax.get_ylim() == BOUNDS[1]
    assert len(_collections(plot.plot_samples(x.numpy()))) == 1
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot.plot_samples(torch.randn(10, 3))
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        plot.plot_samples([[0.0, 1.0]])


def test_density_and_samples_has_two_panels():
    figure = plot.density_and_samples(_gaussian_log_prob(), torch.randn(50, 2), BOUNDS, title="both")
    density_ax, samples_ax = figure.axes
    assert len(_images(density_ax)) == 1 and len(_collections(samples_ax)) == 1
    assert figure.get_suptitle() == "both"


def test_compare_densities_shares_one_colour_scale():
    narrow, wide = _gaussian_log_prob(std=0.4), _gaussian_log_prob(std=1.0)
    figure = plot.compare_densities(narrow, wide, BOUNDS, titles=("true", "model"))
    assert len(figure.axes) == 2
    (true_image,), (model_image,) = (_images(ax) for ax in figure.axes)
    assert true_image.get_clim() == model_image.get_clim()
    assert true_image.get_clim()[1] == pytest.approx(np.asarray(true_image.get_array()).max())
    assert [ax.get_title() for ax in figure.axes] == ["true", "model"]

    figure = plot.compare_densities(narrow, wide, BOUNDS, samples=torch.randn(20, 2))
    assert len(figure.axes) == 3 and len(_collections(figure.axes[2])) == 1
    with pytest.raises(ValueError, match="titles"):
        plot.compare_densities(narrow, wide, BOUNDS, titles="true")


def _canvas(ax):
    return np.ma.asarray(_images(ax)[0].get_array())


@pytest.mark.parametrize("layout", ["flat", "square", "channel"])
@pytest.mark.parametrize("dtype", [torch.long, torch.float32, torch.bool])
def test_image_grid_tiles_images_with_gaps(layout, dtype):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 17, (10, 8, 8), generator=generator)  # (10, 8, 8)
    if dtype == torch.bool:
        images = images >= 8
    images = images.to(dtype)
    shaped = {"flat": images.reshape(10, 64), "square": images, "channel": images[:, None]}[layout]
    ax = plot.image_grid(shaped, nrow=4, title="digits")
    canvas = _canvas(ax)
    assert canvas.shape == (3 * 9 - 1, 4 * 9 - 1)  # 3 rows of 4, one-pixel gaps
    # Image 5 sits in row 1, column 1; gaps and the two unused cells are masked (drawn as background).
    np.testing.assert_array_equal(canvas[9:17, 9:17], images[5].double().numpy())
    assert canvas.mask[8, :].all() and canvas.mask[:, 8].all()
    assert canvas.mask[18:, 18:].all()
    assert canvas.count() == 10 * 64
    assert ax.get_title() == "digits"


def test_image_grid_colour_scale():
    images = torch.rand(6, 8, 8) * 0.5
    assert _images(plot.image_grid(images))[0].get_clim() == (0.0, pytest.approx(images.max().item()))
    assert _images(plot.image_grid(images, vmax=16))[0].get_clim() == (0.0, 16)
    assert _images(plot.image_grid(torch.zeros(2, 64)))[0].get_clim() == (0.0, 1.0)  # blank still has a scale
    wide = plot.image_grid(np.ones((3, 12)), image_shape=(3, 4), nrow=8)
    assert _canvas(wide).shape == (3, 3 * 5 - 1)


@pytest.mark.parametrize("images,kwargs,error,fragment", [
    (torch.zeros(4, 65), {}, ValueError, "D = 65"),
    (torch.zeros(4), {}, ValueError, "shape"),
    (torch.zeros(0, 64), {}, ValueError, "no images"),
    (torch.full((2, 64), math.nan), {}, ValueError, "NaN"),
    (torch.zeros(4, 64), {"nrow": 0}, ValueError, "nrow"),
    (torch.zeros(4, 64), {"image_shape": 8}, ValueError, "image_shape"),
    ([[0.0] * 64], {}, TypeError, "Tensor or a NumPy array"),
])
def test_image_grid_bad_inputs(images, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        plot.image_grid(images, **kwargs)


def test_training_curves_shows_train_validation_and_best_step():
    history = History(train_loss=list(np.linspace(3.0, 1.0, 200)), val_loss=[3.1, 1.5, 1.2, 1.4],
                      val_steps=[0, 50, 100, 150], best_step=100, best_val_loss=1.2, num_steps=200)
    ax = plot.training_curves(history, title="curves")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "train" in labels and "validation" in labels and "best (step 100)" in labels
    (validation,) = [line for line in ax.get_lines() if line.get_label() == "validation"]
    np.testing.assert_array_equal(validation.get_xdata(), [0, 50, 100, 150])
    np.testing.assert_array_equal(validation.get_ydata(), [3.1, 1.5, 1.2, 1.4])
    (smoothed,) = [line for line in ax.get_lines() if line.get_label() == "train"]
    assert len(smoothed.get_xdata()) == 200 and smoothed.get_xdata()[0] == 1
    assert ax.get_title() == "curves" and ax.get_legend() is not None


def test_training_curves_without_validation_and_bad_input():
    ax = plot.training_curves(History(train_loss=[2.0, 1.0, 0.5], num_steps=3))
    assert [line.get_label() for line in ax.get_lines()].count("validation") == 0
    with pytest.raises(TypeError, match="History"):
        plot.training_curves({"train_loss": [1.0]})


def test_running_mean_by_hand():
    np.testing.assert_allclose(plot._running_mean(np.array([1.0, 3.0, 5.0, 7.0]), 2), [1.0, 2.0, 4.0, 6.0])


def test_no_global_matplotlib_state_changes():
    rc_before = dict(matplotlib.rcParams)
    backend_before = matplotlib.get_backend()
    cmaps_before = matplotlib.colormaps[plot.IMAGE_CMAP].get_bad()
    history = History(train_loss=[1.0, 0.5], val_loss=[1.0], val_steps=[2], best_step=2)
    plot.plot_density(_gaussian_log_prob(), BOUNDS, resolution=10)
    plot.density_and_samples(_gaussian_log_prob(), torch.randn(5, 2), BOUNDS)
    plot.compare_densities(_gaussian_log_prob(), _gaussian_log_prob(std=1.0), BOUNDS, samples=torch.randn(5, 2))
    plot.image_grid(torch.rand(3, 64))
    plot.training_curves(history)
    assert dict(matplotlib.rcParams) == rc_before
    assert matplotlib.get_backend() == backend_before
    np.testing.assert_array_equal(matplotlib.colormaps[plot.IMAGE_CMAP].get_bad(), cmaps_before)


def test_animate_points_embeds_every_frame_offline_and_closes_its_figure():
    start = torch.randn(40, 2, generator=torch.Generator().manual_seed(0))
    frames = [start * (1 + k) for k in range(4)]  # (40, 2) each: the same points spreading out
    open_before = plt.get_fignums()
    html = plot.animate_points(frames, BOUNDS, titles=[f"step {k}" for k in range(4)], colors=start[:, 0],
                               figsize=(2, 2), mode="reflect")
    assert plt.get_fignums() == open_before  # closed: no static copy is shown under the animation
    assert html.count("data:image/png;base64,") == 4  # one embedded PNG per frame
    assert "<script" in html and 'value="reflect"' in html
    assert "http://" not in html and "https://" not in html  # nothing fetched from a CDN
    assert 'class="fa' not in html and "&#9654;" in html  # icons replaced by text

    # The frames differ: the PNG of a spreading cloud is not the same picture four times.
    pngs = re.findall(r'"data:image/png;base64,(.*?)"', html, flags=re.DOTALL)
    assert len(pngs) == 4 and len(set(pngs)) == 4


@pytest.mark.parametrize("frames,kwargs,error,fragment", [
    ([], {}, ValueError, "between 1 and"),
    ([torch.zeros(5, 2)] * 61, {}, ValueError, "between 1 and 60"),
    ([torch.zeros(5, 2), torch.zeros(6, 2)], {}, ValueError, "same N"),
    ([torch.zeros(5, 3)], {}, ValueError, r"\(N, 2\)"),
    (torch.zeros(2, 5, 2), {}, TypeError, "list of point sets"),
    ([torch.zeros(5, 2)] * 2, {"titles": ["only one"]}, ValueError, "one string per frame"),
    ([torch.zeros(5, 2)], {"colors": torch.zeros(4)}, ValueError, r"colors must have shape \(N,\)"),
    ([torch.zeros(5, 2)], {"mode": "bounce"}, ValueError, "mode"),
])
def test_animate_points_bad_inputs(frames, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        plot.animate_points(frames, BOUNDS, **kwargs)
