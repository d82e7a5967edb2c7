"""Argument checks shared by every module of dgm_utils (private: not part of the course's API).

Each check raises ``TypeError`` for a value of the wrong kind and ``ValueError`` for a value of the right kind
outside its range, with a message that names the argument, what was expected and what came in. Modules import
these functions instead of writing their own, so the same mistake gets the same message everywhere.
"""

import math

import torch

__all__ = [
    "check_int",
    "check_positive_int",
    "check_count",
    "check_number",
    "check_real",
    "check_seed",
    "check_generator",
    "check_tensor",
    "check_points",
    "check_bounds",
    "check_range",
    "check_row_values",
    "check_sizes",
    "check_same_shape",
]


def _shown(value):
    return f"{type(value).__name__} {value!r}" if isinstance(value, (int, float, str)) else type(value).__name__


def check_int(value, name, *, minimum=None, allow_none=False):
    """``value`` must be an int (not a bool) and at least ``minimum`` when given; None passes with ``allow_none``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        expected = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {expected}, got {_shown(value)}")
    if minimum is not None and value < minimum:
        expected = {0: "a non-negative int", 1: "a positive int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} must be {expected}, got {value}")
    return value


def check_positive_int(value, name, *, allow_none=False):
    """``value`` must be an int >= 1."""
    return check_int(value, name, minimum=1, allow_none=allow_none)


def check_count(value, name="num_samples"):
    """``value`` must be an int >= 0 (a number of samples, which may be zero)."""
    return check_int(value, name, minimum=0)


def check_real(value, name):
    """``value`` must be a real number (a one-element tensor counts); returns it as a float."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_complex():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {_shown(value)}")
    return float(value)


def check_number(value, name, *, allow_zero=False, allow_none=False):
    """``value`` must be a finite real number > 0 (>= 0 with ``allow_zero``); returns it as a float."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        expected = "a number or None" if allow_none else "a number"
        raise TypeError(f"{name} must be {expected}, got {_shown(value)}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        expected = "a finite number >= 0" if allow_zero else "a positive finite number"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def check_seed(seed, name="seed"):
    """``seed`` must be a non-negative int (what ``torch.Generator.manual_seed`` takes)."""
    return check_int(seed, name, minimum=0)


def check_generator(generator, name="generator"):
    """``generator`` must be a ``torch.Generator`` or None."""
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(generator).__name__}")
    return generator


def check_tensor(value, name, *, dims=None, floating=True):
    """``value`` must be a tensor, floating-point unless ``floating=False``, with ``value.dim()`` in ``dims``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if dims is not None and value.dim() not in dims:
        raise ValueError(f"{name} must have {' or '.join(map(str, dims))} dimensions, got shape {tuple(value.shape)}")
    return value


def check_points(x, name="x", *, dim=None, min_rows=0):
    """``x`` must be a floating-point tensor of shape (N, D), with D = ``dim`` when given and N >= ``min_rows``."""
    columns = "D" if dim is None else str(dim)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, {columns}), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() != 2 or (dim is not None and x.shape[1] != dim):
        raise ValueError(f"{name} must have shape (N, {columns}), got {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} rows, got shape {tuple(x.shape)}")
    return x


def check_bounds(bounds):
    """A 2-D box ``((x_min, x_max), (y_min, y_max))`` with finite edges and min < max; returned as floats."""
    try:
        (x_low, x_high), (y_low, y_high) = bounds
        x_low, x_high, y_low, y_high = (float(v) for v in (x_low, x_high, y_low, y_high))
    except (TypeError, ValueError):
        raise TypeError(f"bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}") from None
    if not all(math.isfinite(v) for v in (x_low, x_high, y_low, y_high)) or x_low >= x_high or y_low >= y_high:
        raise ValueError(f"bounds must be finite with min < max on both axes, got {bounds!r}")
    return (x_low, x_high), (y_low, y_high)


def check_range(value, name, *, allow_none=False):
    """An interval ``(low, high)`` with low < high, returned as floats (None passes when ``allow_none``)."""
    if value is None and allow_none:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be (low, high){' or None' if allow_none else ''}, got {value!r}") from None
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {value!r}")
    return low, high


def check_row_values(values, num_rows, name):
    """``values`` must be a tensor of shape (num_rows,): one value per row of a batch (an energy, a log density)."""
    if not isinstance(values, torch.Tensor) or values.shape != (num_rows,):
        got = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise ValueError(f"{name} must give one value per row, shape ({num_rows},), got {got}")
    return values


def check_sizes(values, name):
    """An int or a sequence of positive ints (layer widths, an image shape, dilations) as a tuple."""
    values = (values,) if isinstance(values, int) else tuple(values)
    for value in values:
        check_positive_int(value, f"every entry of {name}")
    return values


def check_same_shape(a, a_name, b, b_name):
    """``b`` must have the shape of ``a``."""
    if a.shape != b.shape:
        raise ValueError(f"{b_name} must have the shape of {a_name} {tuple(a.shape)}, got {tuple(b.shape)}")
    return b
