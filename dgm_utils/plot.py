"""Plots used throughout the book: 2-D densities and samples, image grids, training curves.

matplotlib only. Every function draws into ``ax`` when given (else into a new figure) and returns the
axes (single panel) or the figure (several panels); nothing calls ``plt.show()``, changes the backend or
touches ``rcParams``.

A density is given as ``model_or_fn``: either an object with ``.log_prob(x)`` (a model, a toy
distribution) or a function mapping points (N, 2) to log densities (N,).
"""

import math
import re

import numpy as np
import torch

from dgm_utils._validation import check_bounds
from dgm_utils.metrics import grid_log_prob

__all__ = ["plot_density", "plot_samples", "density_and_samples", "compare_densities", "image_grid",
           "training_curves", "animate_points"]

#: Colour map of densities (dark = low, bright = high) and of images.
DENSITY_CMAP = "viridis"
IMAGE_CMAP = "gray"
#: Colour of the gaps between images of a grid (and of unused cells).
GAP_COLOR = "white"
#: Pixels of gap between neighbouring images of a grid.
GAP_PIXELS = 1
#: Inches per panel of the multi-panel figures.
PANEL_SIZE = 4.0


def _pyplot():
    import matplotlib.pyplot as plt  # imported on first use: importing dgm_utils.plot stays cheap

    return plt


def _axes_or_new(ax, figsize=(PANEL_SIZE, PANEL_SIZE)):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=figsize)
    return ax


def _grid_density(model_or_fn, bounds, resolution):
    """Density exp(log p) at the cell centres of a resolution x resolution grid over ``bounds``.

    Returns a NumPy array (res, res) whose row i is y_i and column j is x_j (the layout of
    ``dgm_utils.metrics.grid_log_prob``, which evaluates it), so ``imshow(..., origin="lower",
    extent=bounds)`` puts every pixel over its own cell.
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    _, _, log_p = grid_log_prob(model_or_fn, bounds, resolution)  # (res, res)
    bad = torch.isnan(log_p) | (log_p == math.inf)
    if bad.any():
        raise ValueError(f"the log density is NaN or +inf at {int(bad.sum())} of {log_p.numel()} grid points; "
                         "-inf (zero density) is allowed, NaN and +inf are not")
    return torch.exp(log_p.double()).numpy()  # -inf -> 0


def _draw_density(ax, density, bounds, title, vmax=None):
    (x_min, x_max), (y_min, y_max) = bounds
    ax.imshow(density, origin="lower", extent=(x_min, x_max, y_min, y_max), cmap=DENSITY_CMAP,
              vmin=0.0, vmax=vmax, interpolation="nearest", aspect="equal")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    if title is not None:
        ax.set_title(title)
    return ax


def plot_density(model_or_fn, bounds, ax=None, resolution=200, title=None):
    """Heat map of the density p(x) = exp(log_prob(x)) over the box ``bounds``.

    Args:
        model_or_fn: object with ``.log_prob`` or function (N, 2) -> (N,) of log densities; evaluated
            under ``torch.no_grad()`` on the model's device. ``-inf`` shows as zero density.
        bounds: ((x_min, x_max), (y_min, y_max)).
        ax: axes to draw into (default: a new figure).
        resolution: grid points per axis.
        title: axes title.

    Returns:
        The axes (with one ``AxesImage``).
    """
    bounds = check_bounds(bounds)
    density = _grid_density(model_or_fn, bounds, resolution)
    return _draw_density(_axes_or_new(ax), density, bounds, title)


def _as_numpy_points(x, name="x"):
    if isinstance(x, torch.Tensor):
        x = x.detach().to("cpu", torch.float64).numpy()
    elif isinstance(x, np.ndarray):
        x = x.astype(np.float64, copy=False)
    else:
        raise TypeError(f"{name} must be a Tensor or a NumPy array of shape (N, 2), got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2), got {tuple(x.shape)}")
    return x


def plot_samples(x, ax=None, bounds=None, title=None, s=2, alpha=0.5):
    """Scatter plot of 2-D points ``x`` (N, 2), Tensor or NumPy array.

    Args:
        x: points (N, 2).
        ax: axes to draw into (default: a new figure).
        bounds: ((x_min, x_max), (y_min, y_max)) to fix the view (and an equal aspect), or None.
        title: axes title.
        s, alpha: marker size and opacity.

    Returns:
        The axes (with one ``PathCollection``).
    """
    points = _as_numpy_points(x)
    ax = _axes_or_new(ax)
    ax.scatter(points[:, 0], points[:, 1], s=s, alpha=alpha, linewidths=0)
    if bounds is not None:
        (x_min, x_max), (y_min, y_max) = check_bounds(bounds)
        ax.set_xlim(x_min, x_max)
        ax.set_ylim(y_min, y_max)
        ax.set_aspect("equal")
    if title is not None:
        ax.set_title(title)
    return ax


def density_and_samples(model_or_fn, samples, bounds, title=None):
    """Two panels side by side: the density of ``model_or_fn`` and a scatter of ``samples`` (N, 2).

    Returns:
        The figure; ``title`` becomes its super-title.
    """
    bounds = check_bounds(bounds)
    points = _as_numpy_points(samples, "samples")
    figure, (density_ax, samples_ax) = _pyplot().subplots(1, 2, figsize=(2 * PANEL_SIZE, PANEL_SIZE))
    plot_density(model_or_fn, bounds, ax=density_ax, title="density")
    plot_samples(points, ax=samples_ax, bounds=bounds, title="samples")
    if title is not None:
        figure.suptitle(title)
    return figure


def compare_densities(true_fn, model_fn, bounds, titles=("true", "model"), samples=None):
    """The true density next to the model's, on one shared colour scale (plus a scatter of ``samples``).

    Args:
        true_fn, model_fn: objects with ``.log_prob`` or functions (N, 2) -> (N,).
        bounds: ((x_min, x_max), (y_min, y_max)).
        titles: panel titles; a third entry titles the samples panel (default "samples").
        samples: optional points (N, 2), e.g. drawn from the model, shown in a third panel.

    Returns:
        The figure.
    """
    bounds = check_bounds(bounds)
    if isinstance(titles, str) or len(titles) < 2:
        raise ValueError(f"titles must hold at least two strings (true, model), got {titles!r}")
    points = None if samples is None else _as_numpy_points(samples, "samples")
    true_density = _grid_density(true_fn, bounds, 200)
    model_density = _grid_density(model_fn, bounds, 200)
    vmax = max(true_density.max(), model_density.max()) or None  # an all-zero pair keeps the default scale
    num_panels = 2 if points is None else 3
    figure, axes = _pyplot().subplots(1, num_panels, figsize=(num_panels * PANEL_SIZE, PANEL_SIZE))
    _draw_density(axes[0], true_density, bounds, titles[0], vmax=vmax)
    _draw_density(axes[1], model_density, bounds, titles[1], vmax=vmax)
    if points is not None:
        plot_samples(points, ax=axes[2], bounds=bounds, title=titles[2] if len(titles) > 2 else "samples")
    return figure


def _as_image_stack(images, image_shape):
    """``images`` as a float64 array (N, H, W)."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu()
        images = images.numpy() if images.dtype != torch.bool else images.to(torch.uint8).numpy()
    elif not isinstance(images, np.ndarray):
        raise TypeError(f"images must be a Tensor or a NumPy array, got {type(images).__name__}")
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[1] == 1:  # (N, 1, H, W): one channel
        images = images[:, 0]
    if images.ndim == 2:
        try:
            height, width = (int(v) for v in image_shape)
        except (TypeError, ValueError):
            raise ValueError(f"image_shape must be (height, width), got {image_shape!r}") from None
        if height * width != images.shape[1]:
            raise ValueError(f"images (N, D) need D = height * width = {height} * {width} = {height * width} "
                             f"for image_shape={tuple(image_shape)}, got D = {images.shape[1]}")
        images = images.reshape(-1, height, width)
    elif images.ndim != 3:
        raise ValueError(f"images must have shape (N, H*W), (N, H, W) or (N, 1, H, W), got {images.shape}")
    if len(images) == 0:
        raise ValueError("images holds no images (N = 0)")
    if not np.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values")
    return images


def image_grid(images, nrow=8, image_shape=(8, 8), ax=None, vmax=None, title=None):
    """Tile images into a grid with ``nrow`` images per row and thin gaps between them.

    Args:
        images: (N, H*W) flat images (reshaped with ``image_shape``), (N, H, W), or (N, 1, H, W);
            integer, boolean or float, Tensor or NumPy array.
        nrow: images per row.
        image_shape: (height, width) of flat images, default the 8x8 digits.
        ax: axes to draw into (default: a new figure sized to the grid).
        vmax: value shown as white; default the largest pixel value. Pass the top level (16 for
            the digits) so that grids from different sources share one scale. Black is
            ``min(0, smallest pixel)``.
        title: axes title.

    Returns:
        The axes (with one ``AxesImage``).
    """
    if isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    stack = _as_image_stack(images, image_shape)  # (N, H, W)
    num_images, height, width = stack.shape
    num_columns = min(nrow, num_images)
    num_rows = math.ceil(num_images / num_columns)
    cell_height, cell_width = height + GAP_PIXELS, width + GAP_PIXELS
    canvas = np.full((num_rows * cell_height - GAP_PIXELS, num_columns * cell_width - GAP_PIXELS), np.nan)
    for index, image in enumerate(stack):
        row, column = divmod(index, num_columns)
        canvas[row * cell_height:row * cell_height + height, column * cell_width:column * cell_width + width] = image

    vmin = min(0.0, float(stack.min()))
    if vmax is None:
        vmax = float(stack.max())
    if vmax <= vmin:
        vmax = vmin + 1.0  # a blank grid still needs a scale
    import matplotlib

    cmap = matplotlib.colormaps[IMAGE_CMAP].with_extremes(bad=GAP_COLOR)  # a copy; the registry is untouched
    ax = _axes_or_new(ax, figsize=(max(2.0, 0.5 * num_columns), max(2.0, 0.5 * num_rows)))
    ax.imshow(np.ma.masked_invalid(canvas), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title is not None:
        ax.set_title(title)
    return ax


def _running_mean(values, window):
    """Mean of the last ``window`` values at each position (shorter at the start)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def training_curves(history, ax=None, title=None):
    """Training loss (raw and a running mean) and validation loss against the step.

    Args:
        history: a ``dgm_utils.train.History`` (or any object with ``train_loss``, ``val_loss``, ``val_steps``).
        ax: axes to draw into (default: a new figure).
        title: axes title.

    Returns:
        The axes; the best validation step, when known, is marked by a dotted vertical line.
    """
    missing = [name for name in ("train_loss", "val_loss", "val_steps") if not hasattr(history, name)]
    if missing:
        raise TypeError(f"history must be a dgm_utils.train.History (train_loss, val_loss, val_steps), "
                        f"got {type(history).__name__} without {', '.join(missing)}")
    if len(history.val_loss) != len(history.val_steps):
        raise ValueError(f"history.val_loss and history.val_steps differ in length: "
                         f"{len(history.val_loss)} != {len(history.val_steps)}")
    ax = _axes_or_new(ax, figsize=(1.5 * PANEL_SIZE, PANEL_SIZE))
    train_loss = np.asarray(history.train_loss, dtype=np.float64)
    if len(train_loss):
        steps = np.arange(1, len(train_loss) + 1)
        window = max(1, len(train_loss) // 50)
        ax.plot(steps, train_loss, color="C0", alpha=0.25, linewidth=0.8)
        ax.plot(steps, _running_mean(train_loss, window), color="C0", label="train")
    if len(history.val_loss):
        ax.plot(history.val_steps, history.val_loss, color="C1", marker="o", markersize=3, label="validation")
    best_step = getattr(history, "best_step", None)
    if best_step is not None:
        ax.axvline(best_step, color="C1", linestyle=":", linewidth=1, label=f"best (step {best_step})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if len(train_loss) or len(history.val_loss):
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


#: Most frames ``animate_points`` accepts: every frame is embedded in the page as a PNG image.
MAX_ANIMATION_FRAMES = 60
#: Text shown on the animation's buttons instead of matplotlib's Font Awesome icons, which would be
#: fetched from a CDN (the book must read offline).
_ANIMATION_BUTTON_TEXT = {
    "fa-minus": "&minus;", "fa-plus": "+", "fa-fast-backward": "&laquo;", "fa-step-backward": "&lsaquo;",
    "fa-flip-horizontal": "&#9664;", "fa-pause": "&#10074;&#10074;", "fa-play": "&#9654;",
    "fa-step-forward": "&rsaquo;", "fa-fast-forward": "&raquo;",
}


def _animation_button_text(match):
    classes = match.group(1).split()
    for name in ("fa-flip-horizontal", *classes):  # the reversed play icon is "fa-play fa-flip-horizontal"
        if name in classes and name in _ANIMATION_BUTTON_TEXT:
            return _ANIMATION_BUTTON_TEXT[name]
    return "?"


def animate_points(frames, bounds, *, titles=None, colors=None, cmap="hsv", interval=200, figsize=(3.5, 3.5),
                   dpi=72, s=3, alpha=0.6, mode="loop"):
    """Animate the same 2-D points moving from frame to frame; return self-contained HTML.

    Frame k holds the positions (N, 2) of the same N points at step k, e.g. samples pushed through the
    layers of a flow (chapter 2). The result is matplotlib's ``FuncAnimation(...).to_jshtml()``: the frames
    are PNG images embedded in an inline script with a slider and play buttons. The Font Awesome stylesheet
    that matplotlib links from a CDN is removed and the button icons are replaced by text, so the page
    works offline. Show it in a notebook with ``IPython.display.HTML(html)``. The figure is closed before
    returning, so the notebook shows no extra static copy of it.

    Args:
        frames: a sequence of K point sets (N, 2), Tensors or NumPy arrays with the same N,
            1 <= K <= ``MAX_ANIMATION_FRAMES``.
        bounds: ((x_min, x_max), (y_min, y_max)), the fixed view of every frame.
        titles: one title per frame (e.g. "after layer 3"), or None.
        colors: values (N,) mapped through ``cmap``, one per point and fixed over the frames, so the reader
            can follow groups of points; None draws every point in one colour.
        cmap: the colour map of ``colors``; the default "hsv" is cyclic, which suits angles.
        interval: milliseconds between frames.
        figsize, dpi: figure size in inches and resolution; the HTML grows with K * (figsize * dpi)^2.
        s, alpha: marker size and opacity.
        mode: what the player does at the last frame: "loop", "once" or "reflect" (play backwards).

    Returns:
        The HTML snippet (str).
    """
    plt = _pyplot()
    from matplotlib.animation import FuncAnimation

    bounds = check_bounds(bounds)
    if isinstance(frames, (torch.Tensor, np.ndarray)) or not hasattr(frames, "__len__"):
        raise TypeError(f"frames must be a list of point sets (N, 2), got {type(frames).__name__}")
    if not 1 <= len(frames) <= MAX_ANIMATION_FRAMES:
        raise ValueError(f"frames must hold between 1 and {MAX_ANIMATION_FRAMES} point sets, got {len(frames)}")
    points = [_as_numpy_points(frame, f"frames[{k}]") for k, frame in enumerate(frames)]
    sizes = {len(frame) for frame in points}
    if len(sizes) != 1:
        raise ValueError(f"every frame must hold the same N points, got sizes {sorted(sizes)}")
    if titles is not None and (isinstance(titles, str) or len(titles) != len(points)):
        raise ValueError(f"titles must hold one string per frame ({len(points)}), got {titles!r}")
    if colors is not None:
        colors = np.asarray(colors.detach().cpu() if isinstance(colors, torch.Tensor) else colors, dtype=np.float64)
        if colors.shape != (len(points[0]),):
            raise ValueError(f"colors must have shape (N,) = ({len(points[0])},), got {colors.shape}")
    if mode not in ("loop", "once", "reflect"):
        raise ValueError(f"mode must be 'loop', 'once' or 'reflect', got {mode!r}")
    if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
        raise ValueError(f"interval must be a positive number of milliseconds, got {interval!r}")

    figure, ax = plt.subplots(figsize=figsize, dpi=dpi)
    try:
        (x_min, x_max), (y_min, y_max) = bounds
        scatter = ax.scatter(points[0][:, 0], points[0][:, 1], s=s, alpha=alpha, linewidths=0, c=colors,
                             cmap=cmap if colors is not None else None)
        ax.set(xlim=(x_min, x_max), ylim=(y_min, y_max), aspect="equal")
        title = ax.set_title(titles[0] if titles is not None else "")
        figure.tight_layout()

        def draw_frame(k):
            scatter.set_offsets(points[k])
            if titles is not None:
                title.set_text(titles[k])
            return scatter, title

        animation = FuncAnimation(figure, draw_frame, frames=len(points), interval=interval, blit=False)
        html = animation.to_jshtml(default_mode=mode)
    finally:
        plt.close(figure)
    html = re.sub(r"<link[^>]*font-awesome[^>]*>", "", html)
    return re.sub(r'<i class="fa ([^"]*)"></i>', _animation_button_text, html)
