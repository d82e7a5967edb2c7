"""Small interactive controls for the chapters, each with a static counterpart for the built book.

A chapter describes what to show with one *drawing function* ``draw(value, ax)`` that draws the result for
one setting (a sampling temperature, a pixel ordering, ...) on a matplotlib axes. The same function then
serves twice:

* :func:`temperature_slider` and :func:`choice_picker` return an ipywidgets control that redraws the
  picture whenever the reader moves the slider or picks another entry (for a live Jupyter session);
* :func:`static_panels` draws the picture for a few settings side by side as one plain figure (for the
  executed book, where live widgets would need a widget manager loaded from the network).

ipywidgets is imported only when a widget is built, so importing this module costs nothing and the static
figures work without it. First used in chapter 1 (autoregressive models).
"""

import math

__all__ = ["DEFAULT_TEMPERATURES", "temperature_slider", "choice_picker", "static_panels"]

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
    if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
        raise TypeError(f"options must be a dict {{label: option}} or a sequence, got {type(options).__name__}")
    labelled = dict(options) if isinstance(options, dict) else {str(option): option for option in options}
    if not labelled:
        raise ValueError("options must hold at least one entry, got none")
    value = next(iter(labelled)) if value is None else value
    if value not in labelled:
        raise ValueError(f"value must be one of the labels {list(labelled)}, got {value!r}")
    import ipywidgets

    menu = ipywidgets.Dropdown(options=list(labelled), value=value, description=description)
    return _interactive_view(menu, draw, labelled.__getitem__, panel_size)


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
