"""Masked autoregressive layers: MAF (Papamakarios et al. 2017) and IAF (Kingma et al. 2016), chapter 2, hw2.

The conditioner is unit 1's MADE: the masks of :func:`dgm_utils.nn.made_masks` on :class:`dgm_utils.nn.MaskedLinear`.
"""

import torch
from torch import nn

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.flows._common import bounded_log_scale, check_ordering
from dgm_utils.flows.base import InverseTransform, Transform
from dgm_utils.nn import MaskedLinear, made_masks, zero_last_linear

__all__ = ["MaskedAutoregressiveNet", "MAFLayer", "IAFLayer"]


class MaskedAutoregressiveNet(nn.Module):
    """A MADE-masked MLP (unit 1) giving (shift_d, raw log-scale_d) that depend on x_{<d} only.

    The input degree of dimension ``ordering[i]`` is i + 1; hidden degrees spread over 1..D-1; both
    outputs of dimension d carry its degree, so (``made_masks``) they only see inputs of lower degree.

    Args:
        num_features: D.
        hidden_features, num_hidden_layers: width and depth of the MLP.
        ordering: long tensor (D,), ``ordering[i]`` = the i-th dimension in the autoregressive order;
            default 0..D-1.

    ``forward(x)`` (N, D) -> (N, 2D): the shifts of all dimensions, then their raw log-scales.
    """

    def __init__(self, num_features, hidden_features=64, num_hidden_layers=2, ordering=None):
        super().__init__()
        check_positive_int(num_features, "num_features")
        check_positive_int(hidden_features, "hidden_features")
        if isinstance(num_hidden_layers, bool) or not isinstance(num_hidden_layers, int) or num_hidden_layers < 0:
            raise ValueError(f"num_hidden_layers must be a non-negative int, got {num_hidden_layers!r}")
        ordering = torch.arange(num_features) if ordering is None else check_ordering(ordering, num_features)
        degrees = torch.empty(num_features, dtype=torch.long)
        degrees[ordering] = torch.arange(1, num_features + 1)  # (D,)
        # hidden degrees spread evenly over 1..D-1 (every degree present when H >= D - 1)
        hidden_degrees = [torch.arange(hidden_features) * max(num_features - 1, 1) // hidden_features + 1
                          for _ in range(num_hidden_layers)]  # each (H,)
        masks = made_masks(degrees, hidden_degrees, degrees.repeat(2))
        widths = [num_features] + [hidden_features] * num_hidden_layers + [2 * num_features]
        layers = []
        for l, mask in enumerate(masks):
            layers += [MaskedLinear(widths[l], widths[l + 1], mask), nn.ReLU()]
        self.network = nn.Sequential(*layers[:-1])  # no activation on the output
        self.register_buffer("ordering", ordering)
        zero_last_linear(self.network)

    def forward(self, x):
        return self.network(x)  # (N, 2D)


class MAFLayer(Transform):
    """Masked autoregressive flow layer: fast density (one pass), slow sampling (D passes).

    With (shift_d, log s_d) computed from x_{<d} by a :class:`MaskedAutoregressiveNet`,

        forward (density):  z_d = (x_d - shift_d(x_{<d})) * exp(-log s_d(x_{<d})),
                            log |det dz/dx| = -sum_d log s_d    (triangular Jacobian);
        inverse (sampling): x_d = z_d * exp(log s_d(x_{<d})) + shift_d(x_{<d}), one dimension at a time.

    The inverse is computed by D passes of x <- z * exp(log s(x)) + shift(x) from x = 0: after pass k the
    first k dimensions in the ordering are exact, so after D passes all are.
    """

    def __init__(self, num_features, hidden_features=64, num_hidden_layers=2, ordering=None):
        super().__init__()
        self.net = MaskedAutoregressiveNet(num_features, hidden_features, num_hidden_layers, ordering)
        self.num_features = num_features
        self.scale_factor = nn.Parameter(torch.ones(num_features))  # (D,)

    def shift_and_log_scale(self, x):
        """(shift, log s), each (N, D); entry d depends on x_{<d} (in the ordering) only."""
        shift, raw = self.net(x).chunk(2, dim=1)  # (N, D) each
        return shift, bounded_log_scale(raw, self.scale_factor)

    def forward(self, x):
        check_points(x, "x", dim=self.num_features)
        shift, log_scale = self.shift_and_log_scale(x)
        z = (x - shift) * torch.exp(-log_scale)  # (N, D)
        return z, -log_scale.sum(1)

    def inverse(self, z):
        check_points(z, "z", dim=self.num_features)
        x = torch.zeros_like(z)  # (N, D)
        for _ in range(self.num_features):
            shift, log_scale = self.shift_and_log_scale(x)
            x = z * torch.exp(log_scale) + shift
        return x, log_scale.sum(1)


class IAFLayer(InverseTransform):
    """Inverse autoregressive flow layer: the inverse of a :class:`MAFLayer`, fast sampling, slow density.

    forward (density, D sequential passes): x -> z with x = z * exp(log s(z_{<d})) + shift(z_{<d})
    solved for z; inverse (sampling, one pass): x_d = z_d * exp(log s_d(z_{<d})) + shift_d(z_{<d}).
    Same arguments as :class:`MAFLayer`.
    """

    def __init__(self, num_features, hidden_features=64, num_hidden_layers=2, ordering=None):
        super().__init__(MAFLayer(num_features, hidden_features, num_hidden_layers, ordering))


