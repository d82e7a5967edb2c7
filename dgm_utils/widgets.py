"""Small interactive controls for the chapters, each with a static counterpart for the built book.

A chapter describes what to show with one *drawing function* ``draw(value, ax)`` that draws the result for
one setting (a sampling temperature, a pixel ordering, ...) on a matplotlib axes. The same function then
serves twice:

* :func:`temperature_slider`, :func:`choice_picker` and :func:`selection_slider` return an ipywidgets control
  that redraws the picture whenever the reader moves the slider or picks another entry (for a live Jupyter
  session);
* :func:`static_panels` draws the picture for a few settings side by side as one plain figure (for the
  executed book, where live widgets would need a widget manager loaded from the network).

ipywidgets is imported only when a widget is built, so importing this module costs nothing and the static
figures work without it. First used in chapter 1 (autoregressive models).
"""

import math

__all__ = ["DEFAULT_TEMPERATURES", "temperature_slider", "choice_picker", "selection_slider", "static_panels"]

#: Temperatures offered by :func:`temperature_slider` unless others are given.
DEFAULT_TEMPERATURES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
#: Size in inches of one panel, (width, height), for the figures the widgets and static_panels draw.
DEFAULT_PANEL_SIZE = (4.0, 3.0)


def _check_draw(draw):
    if not callable(draw):
        raise TypeError(f"draw must be a callable draw(value, ax), got {type(draw).__name__}")


def _check_panel_size(panel_size):
    if (not isinstance(panel_size, (tuple, list)) or len(panel_size) != 2
            or not all(isinstance(size, (int, float)) and not isinstance(size, bool) and size > 0
                       for size in panel_size)):
        raise ValueError(f"panel_size must be (width, height) in inches, both positive, got {panel_size!r}")
    return tuple(float(size) for size in panel_size)


def _interactive_view(control, draw, transform, panel_size):
    """A VBox of ``control`` above an Output area that shows ``draw(transform(control.value), ax)``."""
    import ipywidgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    output = ipywidgets.Output()

    def redraw(change=None):
        figure, ax = plt.subplots(figsize=panel_size)
        try:
            draw(transform(control.value), ax)
            with output:
                output.clear_output(wait=True)
                display(figure)
        finally:
            plt.close(figure)  # shown once inside the output area, never again by the inline backend

    control.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([control, output])


def temperature_slider(draw, temperatures=DEFAULT_TEMPERATURES, *, value=1.0, description="temperature",
                       panel_size=DEFAULT_PANEL_SIZE):
    """A slider over sampling temperatures that redraws ``draw(temperature, ax)`` at every move.

    Sampling at temperature tau draws from p(x_i | x_{<i})^(1/tau) renormalized: the logits are divided by
    tau, so tau < 1 sharpens every conditional (towards the most probable choice) and tau > 1 flattens it.

    Args:
        draw: callable ``draw(temperature: float, ax)`` drawing on a matplotlib axes.
        temperatures: the positive values the slider offers, in increasing order.
        value: the initial temperature, one of ``temperatures``.
        description: the slider's label.
        panel_size: (width, height) in inches of the figure drawn.

    Returns:
        an ``ipywidgets.VBox`` (slider above the picture); display it in a notebook cell.
    """
    _check_draw(draw)
    panel_size = _check_panel_size(panel_size)
    temperatures = tuple(temperatures)
    if not temperatures or not all(isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)
                                   and t > 0 for t in temperatures):
        raise ValueError(f"temperatures must be a non-empty sequence of positive numbers, got {temperatures!r}")
    if list(temperatures) != sorted(temperatures):
        raise ValueError(f"temperatures must be in increasing order, got {temperatures!r}")
    if value not in temperatures:
        raise ValueError(f"value must be one of the temperatures {temperatures}, got {value!r}")
    import ipywidgets

    slider = ipywidgets.SelectionSlider(options=[(f"{t:g}", float(t)) for t in temperatures], value=float(value),
                                        description=description, continuous_update=False)
    return _interactive_view(slider, draw, lambda chosen: chosen, panel_size)


def choice_picker(draw, options, *, value=None, description="choice", panel_size=DEFAULT_PANEL_SIZE):
    """A drop-down menu over named options that redraws ``draw(option, ax)`` for the option picked.

    Used, for example, as a pixel-order picker: ``options`` maps a label ("raster order", "random order 1")
    to whatever ``draw`` needs to draw samples generated in that order.

    Args:
        draw: callable ``draw(option, ax)`` drawing on a matplotlib axes; it receives the *value* of the
            chosen entry of ``options``.
        options: dict {label: option}, or a sequence of options (labelled by ``str``).
        value: the label picked initially; default the first.
        description: the menu's label.
        panel_size: (width, height) in inches of the figure drawn.

    Returns:
        an ``ipywidgets.VBox`` (menu above the picture).
    """
    _check_draw(draw)
    panel_size = _check_panel_size(panel_size)
    labelled, value = _labelled_options(options, value)
    import ipywidgets

    menu = ipywidgets.Dropdown(options=list(labelled), value=value, description=description)
    return _interactive_view(menu, draw, labelled.__getitem__, panel_size)


def _labelled_options(options, value):
    """({label: option} in the given order, the initial label) of a dict or a sequence of options."""
    if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
        raise TypeError(f"options must be a dict {{label: option}} or a sequence, got {type(options).__name__}")
    labelled = dict(options) if isinstance(options, dict) else {str(option): option for option in options}
    if not labelled:
        raise ValueError("options must hold at least one entry, got none")
    value = next(iter(labelled)) if value is None else value
    if value not in labelled:
        raise ValueError(f"value must be one of the labels {list(labelled)}, got {value!r}")
    return labelled, value


def selection_slider(draw, options, *, value=None, description="value", panel_size=DEFAULT_PANEL_SIZE):
    """A slider over ordered, named options that redraws ``draw(option, ax)`` at every move.

    :func:`choice_picker` with a slider instead of a menu, for options that have an order: the diffusion time
    of chapter 6b, from noise (s = 1) to data (s = 0), where ``draw`` shows the samples at that time.

    Args:
        draw: callable ``draw(option, ax)``; it receives the *value* of the chosen entry of ``options``.
        options: dict {label: option} in slider order, or a sequence of options (labelled by ``str``).
        value: the label shown initially; default the first.
        description: the slider's label.
        panel_size: (width, height) in inches of the figure drawn.

    Returns:
        an ``ipywidgets.VBox`` (slider above the picture).
    """
    _check_draw(draw)
    panel_size = _check_panel_size(panel_size)
    labelled, value = _labelled_options(options, value)
    import ipywidgets

    slider = ipywidgets.SelectionSlider(options=list(labelled), value=value, description=description,
                                        continuous_update=False)
    return _interactive_view(slider, draw, labelled.__getitem__, panel_size)


def static_panels(draw, values, *, titles=None, ncols=None, panel_size=DEFAULT_PANEL_SIZE):
    """The static counterpart of the widgets: ``draw(value, ax)`` for each value, on a grid of panels.

    Args:
        draw: callable ``draw(value, ax)``, the same function the widget uses.
        values: the settings to show (a sequence, or a dict {title: value}).
        titles: one title per panel; default the dict's keys, else ``str(value)``.
        ncols: panels per row; default all in one row.
        panel_size: (width, height) in inches of one panel.

    Returns:
        a matplotlib ``Figure`` with one axes per value (unused grid cells are hidden).
    """
    import matplotlib.pyplot as plt

    _check_draw(draw)
    panel_size = _check_panel_size(panel_size)
    if isinstance(values, dict):
        titles = list(values) if titles is None else titles
        values = list(values.values())
    else:
        values = list(values)
    if not values:
        raise ValueError("values must hold at least one setting, got none")
    titles = [str(value) for value in values] if titles is None else list(titles)
    if len(titles) != len(values):
        raise ValueError(f"titles must have one entry per value ({len(values)}), got {len(titles)}")
    ncols = len(values) if ncols is None else ncols
    if isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    ncols = min(ncols, len(values))
    nrows = math.ceil(len(values) / ncols)
    figure, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                                squeeze=False)
    for ax, value, title in zip(axes.flat, values, titles):
        draw(value, ax)
        ax.set_title(title)
    for ax in list(axes.flat)[len(values):]:
        ax.set_visible(False)
    figure.tight_layout()
    return figure


# ----------------------------------------------------------------------------------------------------
# Latent traversals (chapter 3, latent variable models): several sliders, one per latent coordinate.

#: Range and step of the latent sliders: a standard normal prior puts 99.7 % of its mass in [-3, 3].
DEFAULT_LATENT_RANGE = (-3.0, 3.0)
DEFAULT_LATENT_STEP = 0.25
#: Size in inches of one cell of :func:`latent_traversal_panels` (small: each cell is one decoded image).
DEFAULT_CELL_SIZE = (0.9, 0.9)

__all__ += ["latent_sliders", "latent_traversal_panels"]


def _check_base(base):
    """``base`` (a latent point) as a list of finite floats; accepts sequences, NumPy arrays and 1-D tensors."""
    if hasattr(base, "tolist"):
        base = base.tolist()
    if isinstance(base, (str, bytes)) or not hasattr(base, "__iter__"):
        raise TypeError(f"base must be a sequence of numbers (a latent point), got {type(base).__name__}")
    base = list(base)
    if not base or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                           for v in base):
        raise ValueError(f"base must hold at least one finite number per latent coordinate, got {base!r}")
    return [float(v) for v in base]


def _check_labels(labels, count):
    if labels is None:
        return [f"z{i + 1}" for i in range(count)]
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise ValueError(f"labels must have one entry per latent coordinate ({count}), got {len(labels)}")
    return labels


def latent_sliders(draw, base, *, labels=None, value_range=DEFAULT_LATENT_RANGE, step=DEFAULT_LATENT_STEP,
                   panel_size=DEFAULT_PANEL_SIZE):
    """One slider per latent coordinate; moving any of them redraws ``draw(values, ax)``.

    A latent traversal: start from a latent point ``base`` (say the encoding of a test image, or the prior
    mean 0) and move one coordinate at a time while the others stay fixed; ``draw`` decodes the point
    and shows the result.

    Args:
        draw: callable ``draw(values: tuple of floats, ax)``, one value per slider, in the order of ``base``.
        base: the initial latent point, a sequence of numbers (list, NumPy array, 1-D tensor).
        labels: one label per slider; default ``z1, z2, ...``.
        value_range: (low, high) of every slider; every entry of ``base`` must lie inside it.
        step: the sliders' step.
        panel_size: (width, height) in inches of the figure drawn.

    Returns:
        an ``ipywidgets.VBox`` holding a VBox of ``FloatSlider`` s above an Output area with the picture.
    """
    _check_draw(draw)
    panel_size = _check_panel_size(panel_size)
    base = _check_base(base)
    labels = _check_labels(labels, len(base))
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                       for v in value_range) or not value_range[0] < value_range[1]):
        raise ValueError(f"value_range must be (low, high) with finite low < high, got {value_range!r}")
    low, high = float(value_range[0]), float(value_range[1])
    if (isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step)
            or not 0 < step <= high - low):
        raise ValueError(f"step must be a number in (0, high - low] = (0, {high - low:g}], got {step!r}")
    outside = [v for v in base if not low <= v <= high]
    if outside:
        raise ValueError(f"every entry of base must lie in value_range [{low:g}, {high:g}], got {outside}")
    import ipywidgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    sliders = [ipywidgets.FloatSlider(value=v, min=low, max=high, step=float(step), description=label,
                                      continuous_update=False) for v, label in zip(base, labels)]
    output = ipywidgets.Output()

    def redraw(change=None):
        figure, ax = plt.subplots(figsize=panel_size)
        try:
            draw(tuple(slider.value for slider in sliders), ax)
            with output:
                output.clear_output(wait=True)
                display(figure)
        finally:
            plt.close(figure)  # shown once inside the output area, never again by the inline backend

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return ipywidgets.VBox([ipywidgets.VBox(sliders), output])


def latent_traversal_panels(draw, base, values, *, coordinates=None, labels=None, cell_size=DEFAULT_CELL_SIZE):
    """The static counterpart of :func:`latent_sliders`: one row per coordinate, one column per value.

    Cell (i, j) shows ``draw(point, ax)`` where ``point`` is ``base`` with coordinate ``coordinates[i]``
    set to ``values[j]`` (all other coordinates stay at ``base``): reading a row from left to right is
    moving one slider.

    Args:
        draw: callable ``draw(values: tuple of floats, ax)``, the same function the sliders use.
        base: the latent point the traversals start from (sequence, NumPy array or 1-D tensor).
        values: the values each traversed coordinate takes, one column each.
        coordinates: indices of the coordinates to traverse, one row each; default all.
        labels: one row label per traversed coordinate; default ``z<index + 1>``.
        cell_size: (width, height) in inches of one cell.

    Returns:
        a matplotlib ``Figure`` with ``len(coordinates) x len(values)`` axes, row labels on the left and
        the values as column titles on top.
    """
    import matplotlib.pyplot as plt

    _check_draw(draw)
    try:
        cell_size = _check_panel_size(cell_size)
    except ValueError:
        raise ValueError(f"cell_size must be (width, height) in inches, both positive, got {cell_size!r}") from None
    base = _check_base(base)
    try:
        values = _check_base(values)
    except (TypeError, ValueError):
        raise ValueError(f"values must be a non-empty sequence of finite numbers, got {values!r}") from None
    if coordinates is None:
        coordinates = list(range(len(base)))
    if hasattr(coordinates, "tolist"):
        coordinates = coordinates.tolist()
    coordinates = list(coordinates)
    if not coordinates or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < len(base)
                                  for c in coordinates):
        raise ValueError(f"coordinates must be a non-empty list of indices in [0, {len(base)}), got {coordinates!r}")
    labels = [f"z{c + 1}" for c in coordinates] if labels is None else _check_labels(labels, len(coordinates))
    nrows, ncols = len(coordinates), len(values)
    figure, axes = plt.subplots(nrows, ncols, figsize=(cell_size[0] * ncols, cell_size[1] * nrows), squeeze=False)
    for row, coordinate in enumerate(coordinates):
        for column, value in enumerate(values):
            point = list(base)
            point[coordinate] = value
            ax = axes[row, column]
            draw(tuple(point), ax)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{value:g}", fontsize=8)
        # a text, not a ylabel: it stays visible when ``draw`` turns the axis off (as image plots do)
        axes[row, 0].text(-0.15, 0.5, labels[row], transform=axes[row, 0].transAxes, ha="right", va="center")
    figure.subplots_adjust(wspace=0.05, hspace=0.05)
    return figure
