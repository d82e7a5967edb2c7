"""dgm_utils.widgets: controls that redraw a picture, and their static counterpart (drawn off screen)."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # the test chooses the backend; dgm_utils.widgets never does

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from dgm_utils import widgets  # noqa: E402

ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class Recorder:
    """A drawing function that remembers the values it was asked to draw and labels the axes with them."""

    def __init__(self):
        self.values = []

    def __call__(self, value, ax):
        self.values.append(value)
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel(f"drawn {value}")


def test_importing_widgets_does_not_import_ipywidgets():
    code = "import sys, dgm_utils.widgets; print('ipywidgets' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_widgets_is_a_lazy_submodule_of_dgm_utils():
    import dgm_utils

    assert dgm_utils.widgets is widgets


def test_temperature_slider_draws_the_initial_value_then_each_new_one():
    draw = Recorder()
    view = widgets.temperature_slider(draw, temperatures=(0.5, 1.0, 2.0), value=1.0)
    assert isinstance(view, ipywidgets.VBox)
    slider, output = view.children
    assert isinstance(slider, ipywidgets.SelectionSlider) and isinstance(output, ipywidgets.Output)
    assert [value for _, value in slider.options] == [0.5, 1.0, 2.0]
    assert draw.values == [1.0]
    slider.value = 2.0
    slider.value = 0.5
    assert draw.values == [1.0, 2.0, 0.5]
    assert plt.get_fignums() == [], "the widget must close the figures it draws (else they show twice)"


@pytest.mark.parametrize("temperatures, value", [((), 1.0), ((0.5, -1.0), 0.5), ((2.0, 1.0), 1.0),
                                                 ((0.5, 1.0), 0.75), ((0.5, float("nan")), 0.5)])
def test_temperature_slider_rejects_bad_temperatures(temperatures, value):
    with pytest.raises(ValueError, match="temperature|value"):
        widgets.temperature_slider(Recorder(), temperatures=temperatures, value=value)


def test_choice_picker_passes_the_value_of_the_chosen_label():
    draw = Recorder()
    orders = {"raster": [0, 1, 2], "reversed": [2, 1, 0]}
    view = widgets.choice_picker(draw, orders, description="pixel order")
    menu, _ = view.children
    assert isinstance(menu, ipywidgets.Dropdown) and list(menu.options) == ["raster", "reversed"]
    assert draw.values == [[0, 1, 2]]
    menu.value = "reversed"
    assert draw.values == [[0, 1, 2], [2, 1, 0]]


def test_choice_picker_accepts_a_sequence_and_an_initial_label():
    draw = Recorder()
    view = widgets.choice_picker(draw, [3, 5, 7], value="5")
    assert view.children[0].value == "5"
    assert draw.values == [5]


@pytest.mark.parametrize("options, error", [({}, ValueError), (5, TypeError), ("abc", TypeError)])
def test_choice_picker_rejects_bad_options(options, error):
    with pytest.raises(error, match="options"):
        widgets.choice_picker(Recorder(), options)


def test_choice_picker_rejects_an_unknown_initial_label():
    with pytest.raises(ValueError, match="one of the labels"):
        widgets.choice_picker(Recorder(), {"a": 1}, value="b")


def test_selection_slider_passes_the_value_of_each_position_in_order():
    draw = Recorder()
    times = {"s = 1 (noise)": 1.0, "s = 0.5": 0.5, "s = 0 (data)": 0.0}
    view = widgets.selection_slider(draw, times, value="s = 0.5", description="time")
    slider, output = view.children
    assert isinstance(slider, ipywidgets.SelectionSlider) and isinstance(output, ipywidgets.Output)
    assert list(slider.options) == list(times) and slider.description == "time"
    assert draw.values == [0.5]
    slider.value = "s = 0 (data)"
    slider.value = "s = 1 (noise)"
    assert draw.values == [0.5, 0.0, 1.0]
    assert plt.get_fignums() == []


def test_selection_slider_starts_at_the_first_option_of_a_sequence():
    draw = Recorder()
    view = widgets.selection_slider(draw, [0.0, 0.25, 1.0])
    assert view.children[0].value == "0.0" and draw.values == [0.0]


@pytest.mark.parametrize("options, value, error, match", [
    ({}, None, ValueError, "options"), (3, None, TypeError, "options"), ({"a": 1}, "b", ValueError, "one of the labels"),
])
def test_selection_slider_rejects_bad_options(options, value, error, match):
    with pytest.raises(error, match=match):
        widgets.selection_slider(Recorder(), options, value=value)


@pytest.mark.parametrize("build", [lambda: widgets.temperature_slider("not callable"),
                                   lambda: widgets.choice_picker(None, {"a": 1}),
                                   lambda: widgets.selection_slider(None, {"a": 1}),
                                   lambda: widgets.static_panels(42, [1])])
def test_draw_must_be_callable(build):
    with pytest.raises(TypeError, match="draw must be a callable"):
        build()


def test_static_panels_draws_every_value_on_its_own_axes():
    draw = Recorder()
    figure = widgets.static_panels(draw, [0.5, 1.0, 2.0], ncols=2)
    assert draw.values == [0.5, 1.0, 2.0]
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in visible] == ["drawn 0.5", "drawn 1.0", "drawn 2.0"]
    assert [ax.get_title() for ax in visible] == ["0.5", "1.0", "2.0"]
    assert len(figure.axes) == 4  # a 2 x 2 grid, the last cell hidden
    width, height = figure.get_size_inches()
    assert width == pytest.approx(2 * widgets.DEFAULT_PANEL_SIZE[0])
    assert height == pytest.approx(2 * widgets.DEFAULT_PANEL_SIZE[1])


def test_static_panels_takes_titles_from_a_dict():
    draw = Recorder()
    figure = widgets.static_panels(draw, {"cold": 0.5, "hot": 2.0})
    assert draw.values == [0.5, 2.0]
    assert [ax.get_title() for ax in figure.axes] == ["cold", "hot"]


@pytest.mark.parametrize("kwargs, match", [(dict(values=[]), "at least one"),
                                           (dict(values=[1, 2], titles=["only one"]), "one entry per value"),
                                           (dict(values=[1], ncols=0), "ncols"),
                                           (dict(values=[1], panel_size=(3.0, -1.0)), "panel_size")])
def test_static_panels_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.static_panels(Recorder(), **kwargs)


# ----------------------------------------------------------------------------------------------------
# Latent traversals (chapter 3).


def test_latent_sliders_redraw_with_every_coordinate():
    draw = Recorder()
    view = widgets.latent_sliders(draw, [0.0, 1.0, -0.5], labels=["a", "b", "c"], value_range=(-2, 2), step=0.5)
    assert isinstance(view, ipywidgets.VBox)
    slider_box, output = view.children
    assert isinstance(output, ipywidgets.Output)
    sliders = slider_box.children
    assert [type(s) for s in sliders] == [ipywidgets.FloatSlider] * 3
    assert [s.description for s in sliders] == ["a", "b", "c"]
    assert (sliders[0].min, sliders[0].max, sliders[0].step) == (-2.0, 2.0, 0.5)
    assert draw.values == [(0.0, 1.0, -0.5)]
    sliders[1].value = -1.5
    sliders[2].value = 2.0
    assert draw.values == [(0.0, 1.0, -0.5), (0.0, -1.5, -0.5), (0.0, -1.5, 2.0)]
    assert plt.get_fignums() == [], "the widget must close the figures it draws"


def test_latent_sliders_accept_a_tensor_base_and_label_z1_z2():
    torch = pytest.importorskip("torch")
    draw = Recorder()
    view = widgets.latent_sliders(draw, torch.tensor([0.25, -0.25]))
    assert [s.description for s in view.children[0].children] == ["z1", "z2"]
    assert draw.values == [(0.25, -0.25)]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(base=[]), ValueError, "base"),
    (dict(base="ab"), TypeError, "base"),
    (dict(base=[0.0, float("nan")]), ValueError, "base"),
    (dict(base=[0.0], labels=["a", "b"]), ValueError, "labels"),
    (dict(base=[0.0], value_range=(1.0, -1.0)), ValueError, "value_range"),
    (dict(base=[0.0], step=0.0), ValueError, "step"),
    (dict(base=[5.0]), ValueError, "value_range"),
])
def test_latent_sliders_reject_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        widgets.latent_sliders(Recorder(), **kwargs)


def test_latent_traversal_panels_change_one_coordinate_per_row():
    draw = Recorder()
    figure = widgets.latent_traversal_panels(draw, [0.0, 0.0, 7.0], [-1.0, 1.0], coordinates=[2, 0])
    # row 0 moves coordinate 2, row 1 moves coordinate 0; the other coordinates stay at base
    assert draw.values == [(0.0, 0.0, -1.0), (0.0, 0.0, 1.0), (-1.0, 0.0, 7.0), (1.0, 0.0, 7.0)]
    assert len(figure.axes) == 4
    assert [ax.get_title() for ax in figure.axes] == ["-1", "1", "", ""]
    row_labels = [text.get_text() for ax in figure.axes for text in ax.texts]
    assert row_labels == ["z3", "z1"]
    width, height = figure.get_size_inches()
    assert (width, height) == pytest.approx((2 * widgets.DEFAULT_CELL_SIZE[0], 2 * widgets.DEFAULT_CELL_SIZE[1]))


def test_latent_traversal_panels_default_to_every_coordinate():
    draw = Recorder()
    figure = widgets.latent_traversal_panels(draw, [1.0, 2.0], [0.0], labels=["first", "second"])
    assert draw.values == [(0.0, 2.0), (1.0, 0.0)]
    assert [text.get_text() for ax in figure.axes for text in ax.texts] == ["first", "second"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(base=[0.0], values=[]), "values"),
    (dict(base=[0.0], values=[0.0], coordinates=[1]), "coordinates"),
    (dict(base=[0.0], values=[0.0], coordinates=[]), "coordinates"),
    (dict(base=[0.0, 1.0], values=[0.0], coordinates=[0], labels=["a", "b"]), "labels"),
    (dict(base=[0.0], values=[0.0], cell_size=(0.0, 1.0)), "cell_size"),
])
def test_latent_traversal_panels_reject_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.latent_traversal_panels(Recorder(), **kwargs)


def test_latent_traversal_functions_need_a_callable_draw():
    with pytest.raises(TypeError, match="draw must be a callable"):
        widgets.latent_sliders("no", [0.0])
    with pytest.raises(TypeError, match="draw must be a callable"):
        widgets.latent_traversal_panels(None, [0.0], [0.0])
