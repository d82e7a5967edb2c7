"""Audio super-resolution as a conditional distribution, p(high-rate signal | low-rate signal) (chapter 8c).

Every ``factor``-th sample of a quantized signal x_0..x_{T-1} is known, y_j = x_{j r} (r = ``factor``); the others
are to be drawn from p(x | y). An unconditional autoregressive model with the known samples clamped would sample
x_t from p(x_t | x_{<t}) and ignore the known sample that comes *after* t, so its draws drift away from y and jump
back at each known sample. :class:`SuperResolutionWaveNet` models the posterior directly,

    p(x | y) = prod_t p(x_t | x_{<t}, y),

a WaveNet whose gated layers also receive a *local condition* (van den Oord et al. 2016, section 2.5): features
h(y) computed by a non-causal convolution stack from y upsampled to the high rate, so the prediction of x_t sees
the known samples on both sides of t, the future ones included. At the known positions the model has nothing
to guess (it learns that x_t = y_{t/r}), and sampling writes the known value there.

:func:`interpolate_signal` gives the non-generative baselines: linear and cubic-spline interpolation (scipy).
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_number, check_positive_int, check_sizes, check_tensor
from dgm_utils.autoregressive import CausalConv1d
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import as_levels, categorical_log_prob, sample_categorical

__all__ = ["SuperResolutionWaveNet", "interpolate_signal", "known_positions"]

INTERPOLATION_METHODS = ("linear", "cubic")


def known_positions(length, factor):
    """The positions 0, r, 2r, ... < T of the known samples: long tensor (ceil(T / r),)."""
    check_positive_int(length, "length")
    check_positive_int(factor, "factor")
    return torch.arange(0, length, factor)


def interpolate_signal(low_rate, factor, length, method="cubic"):
    """Interpolate signals known at positions 0, r, 2r, ... to all T positions (the non-generative baselines).

    ``linear`` joins the known samples by straight lines (np.interp, constant past the last one); ``cubic`` is a
    not-a-knot cubic spline through them (scipy.interpolate.CubicSpline, extrapolated past the last one).

    Args:
        low_rate: float tensor (N, M) of known values; M must equal ceil(length / factor).
        factor: r; length: T.
        method: "linear" or "cubic".

    Returns:
        float32 tensor (N, T) equal to ``low_rate`` at the known positions.
    """
    from scipy.interpolate import CubicSpline

    check_tensor(low_rate, "low_rate", dims=(2,))
    positions = known_positions(length, factor).numpy()
    if low_rate.shape[1] != len(positions):
        raise ValueError(f"low_rate must have ceil(length / factor) = {len(positions)} columns, "
                         f"got shape {tuple(low_rate.shape)}")
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"method must be one of {INTERPOLATION_METHODS}, got {method!r}")
    values, grid = low_rate.detach().cpu().double().numpy(), np.arange(length)
    if method == "linear":
        result = np.stack([np.interp(grid, positions, row) for row in values])
    else:
        if len(positions) < 4:
            raise ValueError(f"a cubic spline needs at least 4 known samples, got {len(positions)}")
        result = CubicSpline(positions, values, axis=1)(grid)
    return torch.from_numpy(result).float()


class _ConditionedGatedLayer(nn.Module):
    """z = tanh(W_f * h + V_f c) . sigmoid(W_g * h + V_g c): causal in h, pointwise in the local condition c."""

    def __init__(self, channels, kernel_size, dilation):
        super().__init__()
        self.dilated = CausalConv1d(channels, 2 * channels, kernel_size, dilation)
        self.condition = nn.Conv1d(channels, 2 * channels, 1)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)

    def forward(self, h, condition):
        filter_part, gate = (self.dilated(h) + self.condition(condition)).chunk(2, dim=1)  # each (N, C, T)
        z = torch.tanh(filter_part) * torch.sigmoid(gate)
        return h + self.residual(z), self.skip(z)


class SuperResolutionWaveNet(ExactLikelihoodModel):
    """p(x | y) = prod_t p(x_t | x_{<t}, y): a WaveNet with the low-rate signal y as a local condition.

    The condition at high-rate position t is made of three kinds of channels computed from y: the linear
    interpolation of y, y written at the known positions (0 elsewhere), and a one-hot of the phase t mod r. A stack
    of ``condition_layers`` non-causal convolutions of width 2r + 1 turns them into features h(y) (N, C, T) that
    every gated layer adds to its filter and gate (1x1 projections). Its ``context`` is y, levels (N, M).

    Args:
        num_levels: K quantization levels of x and y (``dgm_utils.data.quantize_signal``).
        factor: r, one known sample every r.
        channels: residual, skip and condition channels C.
        kernel_size, dilations: of the causal stack, as in ``dgm_utils.autoregressive.WaveNet``.
        condition_layers: depth of the condition network (it sees about condition_layers * r known samples
            on each side).
    """

    is_conditional = True

    def __init__(self, num_levels=64, factor=4, channels=32, kernel_size=2, dilations=(1, 2, 4, 8, 16),
                 condition_layers=2):
        super().__init__()
        self.num_levels = check_positive_int(num_levels, "num_levels")
        self.factor = check_positive_int(factor, "factor")
        check_positive_int(channels, "channels")
        self.kernel_size = check_positive_int(kernel_size, "kernel_size")
        self.dilations = check_sizes(dilations, "dilations")
        check_positive_int(condition_layers, "condition_layers")
        self.embedding = nn.Embedding(num_levels + 1, channels)  # index K is the start token
        width = 2 * factor + 1
        condition = [nn.Conv1d(2 + factor, channels, width, padding=factor)]
        for _ in range(condition_layers - 1):
            condition += [nn.GELU(), nn.Conv1d(channels, channels, width, padding=factor)]
        self.condition_net = nn.Sequential(*condition)
        self.layers = nn.ModuleList([_ConditionedGatedLayer(channels, kernel_size, d) for d in self.dilations])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(channels, channels, 1), nn.ReLU(),
                                  nn.Conv1d(channels, num_levels, 1))

    @property
    def receptive_field(self):
        """Number R of previous samples the causal stack sees: 1 + (k - 1) sum_l d_l."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations)

    def _device(self):
        return next(self.parameters()).device

    def _check(self, x, context, length=None):
        """x (N, T) and y (N, M) as levels with M = ceil(T / r); returns (x, y)."""
        if context is None:
            raise ValueError("SuperResolutionWaveNet needs the low-rate signal: context=y, levels (N, M)")
        if not isinstance(context, torch.Tensor) or context.dim() != 2:
            raise ValueError(f"context must be low-rate levels of shape (N, M), got "
                             f"{getattr(context, 'shape', type(context).__name__)}")
        y = as_levels(context.to(self._device()), self.num_levels, "context")
        if x is not None:
            if not isinstance(x, torch.Tensor) or x.dim() != 2 or len(x) != len(y):
                raise ValueError(f"x must be levels of shape ({len(y)}, T) (one row per row of context), got "
                                 f"{getattr(x, 'shape', type(x).__name__)}")
            x = as_levels(x.to(self._device()), self.num_levels)
            length = x.shape[1]
        if math.ceil(length / self.factor) != y.shape[1]:
            raise ValueError(f"context must have ceil(T / factor) = {math.ceil(length / self.factor)} columns for "
                             f"T = {length}, got {y.shape[1]}")
        return x, y

    def condition_features(self, y, length):
        """The input channels of the condition network for low-rate levels y (N, M): (N, 2 + r, T)."""
        values = -1.0 + (2.0 * y.float() + 1.0) / self.num_levels  # (N, M), the bin centres in [-1, 1]
        t = torch.arange(length, device=y.device)
        left, weight = t // self.factor, (t % self.factor).float() / self.factor
        right = (left + 1).clamp(max=y.shape[1] - 1)
        linear = (1 - weight) * values[:, left] + weight * values[:, right]  # (N, T)
        known = (t % self.factor == 0).float()
        written = values[:, left] * known  # y at the known positions, 0 elsewhere
        phase = F.one_hot(t % self.factor, self.factor).float().T.expand(len(y), -1, -1)  # (N, r, T)
        return torch.cat([linear[:, None], written[:, None], phase], dim=1)

    def _logits(self, inputs, condition):
        """Logits (N, T', K) from inputs [start, x_0, ...] (N, T') and condition features (N, C, T')."""
        h, skips = self.embedding(inputs).transpose(1, 2), 0  # (N, C, T')
        for layer in self.layers:
            h, skip = layer(h, condition)
            skips = skips + skip
        return self.head(skips).transpose(1, 2)

    def _shift_right(self, x):
        start = torch.full((len(x), 1), self.num_levels, dtype=torch.long, device=x.device)
        return torch.cat([start, x[:, :-1]], dim=1)

    def forward(self, x, context):
        """Logits of p(x_t | x_{<t}, y) for every t: x (N, T), y = context (N, M) -> (N, T, K)."""
        x, y = self._check(x, context)
        condition = self.condition_net(self.condition_features(y, x.shape[1]))
        return self._logits(self._shift_right(x), condition)

    def log_prob(self, x, *, context=None):
        """Exact log p(x | y) = sum_t log p(x_t | x_{<t}, y) in nats: (N, T) -> (N,)."""
        x, _ = self._check(x, context)
        return categorical_log_prob(self(x, context), x).sum(1)

    @torch.no_grad()
    def _sample(self, n, *, generator, context, length=None, temperature=1.0):
        """n posterior draws x ~ p(x | y) (n, T), T = ``length`` (default r (M - 1) + 1), the known samples
        written at positions 0, r, 2r, ...; y (M,) is shared by all draws, y (n, M) gives one per draw."""
        if context is None:
            raise ValueError("SuperResolutionWaveNet needs the low-rate signal: context=y")
        check_number(temperature, "temperature")
        y = context.expand(n, -1) if context.dim() == 1 else context
        if len(y) != n:
            raise ValueError(f"context must have shape (M,) or ({n}, M), got {tuple(context.shape)}")
        length = self.factor * (y.shape[1] - 1) + 1 if length is None else check_positive_int(length, "length")
        _, y = self._check(None, y, length)
        condition = self.condition_net(self.condition_features(y, length))  # (n, C, T)
        inputs = torch.full((n, 1), self.num_levels, dtype=torch.long, device=y.device)  # start token
        for t in range(length):
            if t % self.factor == 0:
                next_level = y[:, t // self.factor]
            else:
                begin = max(0, t + 1 - self.receptive_field)
                logits = self._logits(inputs[:, begin:], condition[:, :, begin:t + 1])[:, -1]  # (n, K)
                next_level = sample_categorical(logits, generator, temperature)
            inputs = torch.cat([inputs, next_level[:, None]], dim=1)
        return inputs[:, 1:]
