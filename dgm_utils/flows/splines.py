"""Rational-quadratic spline couplings (neural spline flows, Durkan et al. 2019; chapter 2)."""

import math

import torch
import torch.nn.functional as F

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.flows._common import check_mask, make_conditioner
from dgm_utils.flows.base import Transform

__all__ = ["SplineCoupling"]

#: Spline bins are at least this wide/high (as a fraction of the interval); knot derivatives at least this.
SPLINE_MIN_BIN, SPLINE_MIN_DERIVATIVE = 1e-3, 1e-3
_SOFTPLUS_ONE = math.log(math.expm1(1.0 - SPLINE_MIN_DERIVATIVE))  # softplus(0 + this) + min = 1


def _rational_quadratic_spline(x, raw_widths, raw_heights, raw_derivatives, bound, inverse=False):
    """Monotone rational-quadratic spline on [-bound, bound], identity outside (Durkan et al. 2019).

    x: (N, D); raw_widths, raw_heights: (N, D, K); raw_derivatives: (N, D, K - 1) (interior knots; the
    boundary derivatives are 1 so the tails join smoothly). Bin widths/heights are softmaxes (at least
    ``SPLINE_MIN_BIN``), knot derivatives softplus(.) + ``SPLINE_MIN_DERIVATIVE``. Within bin k, with
    theta = (x - x_k) / w_k and slope s_k = h_k / w_k (eq. 4 of the paper),

        y = y_k + h_k [s_k theta^2 + d_k theta (1 - theta)] / [s_k + (d_{k+1} + d_k - 2 s_k) theta (1 - theta)],

    and the inverse solves the quadratic in theta. Returns (outputs (N, D), log |dy/dx| or log |dx/dy| (N, D)).
    """
    num_bins = raw_widths.shape[-1]

    def knots(raw):  # (N, D, K) -> bin sizes (N, D, K) and knot positions (N, D, K + 1) spanning [-B, B]
        sizes = SPLINE_MIN_BIN + (1 - SPLINE_MIN_BIN * num_bins) * torch.softmax(raw, dim=-1)
        positions = F.pad(torch.cumsum(sizes, dim=-1), (1, 0)) * 2 * bound - bound
        positions = torch.cat([positions[..., :-1], torch.full_like(positions[..., :1], bound)], dim=-1)
        return positions[..., 1:] - positions[..., :-1], positions

    widths, x_knots = knots(raw_widths)
    heights, y_knots = knots(raw_heights)
    ones = torch.ones_like(raw_derivatives[..., :1])
    derivatives = torch.cat([ones, SPLINE_MIN_DERIVATIVE + F.softplus(raw_derivatives + _SOFTPLUS_ONE), ones], -1)
    inside = (x > -bound) & (x < bound)  # (N, D)
    x_in = x.clamp(-bound, bound)
    knots_in = y_knots if inverse else x_knots
    index = ((x_in[..., None] >= knots_in[..., 1:-1]).sum(-1, keepdim=True))  # (N, D, 1) bin of each input

    def take(t):
        return t.gather(-1, index).squeeze(-1)  # (N, D)

    x_k, y_k, w_k, h_k = take(x_knots), take(y_knots), take(widths), take(heights)
    d_k, d_k1 = take(derivatives[..., :-1]), take(derivatives[..., 1:])
    slope = h_k / w_k
    curvature = d_k1 + d_k - 2 * slope
    if inverse:
        dy = x_in - y_k
        a = h_k * (slope - d_k) + dy * curvature
        b = h_k * d_k - dy * curvature
        c = -slope * dy
        theta = (2 * c) / (-b - torch.sqrt((b**2 - 4 * a * c).clamp(min=0)))
        outputs = theta * w_k + x_k
    else:
        theta = (x_in - x_k) / w_k
        outputs = y_k + h_k * (slope * theta**2 + d_k * theta * (1 - theta)) / (slope + curvature * theta * (1 - theta))
    denominator = slope + curvature * theta * (1 - theta)
    log_derivative = (2 * torch.log(slope) + torch.log(d_k1 * theta**2 + 2 * slope * theta * (1 - theta)
                                                        + d_k * (1 - theta)**2) - 2 * torch.log(denominator))
    log_derivative = -log_derivative if inverse else log_derivative
    return torch.where(inside, outputs, x), torch.where(inside, log_derivative, torch.zeros_like(x))


class SplineCoupling(Transform):
    """Rational-quadratic spline coupling (neural spline flow, Durkan et al. 2019).

    Like :class:`AffineCoupling`, but each changed dimension goes through a monotone spline with
    ``num_bins`` bins on [-bound, bound] (identity outside) whose knots are computed from x * mask:

        z = m * x + (1 - m) * spline(x; NN(x * m)),    log |det dz/dx| = sum_d (1 - m_d) log spline'(x_d).

    Far more flexible per layer than an affine map (multimodal 2-D toys, sharp edges). The conditioner
    outputs 3K - 1 numbers per dimension; it starts at zero, which makes a fresh layer the identity.
    """

    def __init__(self, mask, net_factory=None, *, num_bins=8, bound=5.0, hidden_features=64, num_hidden_layers=2):
        super().__init__()
        mask = check_mask(mask)
        check_positive_int(num_bins, "num_bins")
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not 0 < bound < math.inf:
            raise ValueError(f"bound must be a positive finite number, got {bound!r}")
        self.num_features, self.num_bins, self.bound = len(mask), num_bins, float(bound)
        self.register_buffer("mask", mask)  # (D,)
        self.conditioner = make_conditioner(net_factory, self.num_features, self.num_features * (3 * num_bins - 1),
                                             hidden_features, num_hidden_layers)

    def _spline(self, x, inverse):
        check_points(x, "z" if inverse else "x", dim=self.num_features)
        params = self.conditioner(x * self.mask).reshape(x.shape[0], self.num_features, 3 * self.num_bins - 1)
        widths, heights, derivatives = params.split([self.num_bins, self.num_bins, self.num_bins - 1], dim=-1)
        y, log_derivative = _rational_quadratic_spline(x, widths, heights, derivatives, self.bound, inverse)
        changed = 1.0 - self.mask
        return x * self.mask + changed * y, (changed * log_derivative).sum(1)

    def forward(self, x):
        return self._spline(x, inverse=False)

    def inverse(self, z):
        return self._spline(z, inverse=True)


