"""Normalizing flows (unit 2 of the course).

A flow is an invertible map f from data x to noise z = f(x) with a simple base density p_Z. The change
of variables formula gives the exact density of the data,

    log p(x) = log p_Z(f(x)) + log |det df/dx|,

and sampling runs the map backwards: z ~ p_Z, x = f^{-1}(z). A flow is built as a composition
f = f_K o ... o f_1 of simple layers whose log-determinants add up.

Direction convention (nflows' habit; kept everywhere in the course):

* ``z, logabsdet = transform(x)`` maps DATA -> NOISE with ``logabsdet = log |det dz/dx|``, shape (N,);
* ``x, logabsdet = transform.inverse(z)`` maps NOISE -> DATA with ``logabsdet = log |det dx/dz|``
  (minus the forward one at the matching point).

Inputs are (N, D) float tensors; images are flattened to (N, 64).

Layers: :class:`AffineCoupling` (RealNVP, Dinh et al. 2017), :class:`SplineCoupling` (rational-quadratic
splines, Durkan et al. 2019), :class:`MAFLayer` (Papamakarios et al.
2017; its network is unit 1's MADE masks) and :class:`IAFLayer` (Kingma et al. 2016), :class:`Permutation`,
:class:`LULinear` (Glow's invertible 1x1 convolution, Kingma & Dhariwal 2018), :class:`ActNorm` (Glow),
:class:`LogitTransform` (RealNVP's preprocessing of [0, 1] data). :class:`Flow` adds the base density;
:class:`DequantizedFlow` turns a flow into a bound on the probability of *discrete* data (uniform
dequantization, Theis et al. 2016; variational dequantization, Ho et al. 2019, Flow++).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils.autoregressive import MaskedLinear, made_masks
from dgm_utils.nn import mlp

__all__ = [
    "InverseNotAvailable", "Transform", "CompositeTransform", "InverseTransform",
    "alternating_mask", "checkerboard_mask", "AffineCoupling", "SplineCoupling",
    "MaskedAutoregressiveNet", "MAFLayer", "IAFLayer",
    "Permutation", "ReversePermutation", "RandomPermutation", "LULinear", "ActNorm", "LogitTransform",
    "StandardNormal", "Flow", "realnvp", "neural_spline_flow", "maf", "iaf",
    "VariationalDequantizer", "DequantizedFlow",
]

_LOG_TWO_PI = math.log(2.0 * math.pi)
#: ActNorm's data-dependent initialization divides by the batch standard deviation plus this.
ACTNORM_EPS = 1e-6
#: Default squeeze of [0, 1] data before the logit: y -> alpha + (1 - 2 alpha) y keeps the logit finite.
LOGIT_ALPHA = 0.05
#: DequantizedFlow's default alpha: smaller, so the many pixels at level 0 keep room in logit space
#: (measured on the digits: 0.01 gave a bound ~3 nats/image lower than 0.05).
DEQUANTIZATION_LOGIT_ALPHA = 0.01
#: Spline bins are at least this wide/high (as a fraction of the interval); knot derivatives at least this.
SPLINE_MIN_BIN, SPLINE_MIN_DERIVATIVE = 1e-3, 1e-3
_SOFTPLUS_ONE = math.log(math.expm1(1.0 - SPLINE_MIN_DERIVATIVE))  # softplus(0 + this) + min = 1


# ----------------------------------------------------------------------------------------------------
# Argument checks.


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")


def _check_input(x, num_features, name="x"):
    """``x`` must be a floating-point tensor of shape (N, num_features)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, {num_features}), got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() != 2 or x.shape[1] != num_features:
        raise ValueError(f"{name} must have shape (N, {num_features}), got {tuple(x.shape)}")


def _check_mask(mask):
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a 1-D torch.Tensor of 0/1 values, got {type(mask).__name__}")
    if mask.dim() != 1 or mask.numel() == 0:
        raise ValueError(f"mask must be a non-empty 1-D tensor (D,), got shape {tuple(mask.shape)}")
    mask = mask.float()
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"mask must hold only 0 and 1, got values {sorted(set(mask.tolist()))[:5]}")
    return mask


def _check_ordering(ordering, num_features, name="ordering"):
    if not isinstance(ordering, torch.Tensor) or ordering.is_floating_point() or ordering.dim() != 1:
        raise TypeError(f"{name} must be a 1-D integer tensor (a permutation of 0..{num_features - 1}), got "
                        f"{ordering.dtype if isinstance(ordering, torch.Tensor) else type(ordering).__name__}")
    ordering = ordering.long()
    if len(ordering) != num_features or not torch.equal(torch.sort(ordering).values, torch.arange(num_features)):
        raise ValueError(f"{name} must be a permutation of 0..{num_features - 1}, got {ordering.tolist()}")
    return ordering


def _zero_last_linear(net):
    """Zero the weights and bias of the last ``nn.Linear`` of ``net``: the net then outputs 0 everywhere."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if linears:
        with torch.no_grad():
            linears[-1].weight.zero_()
            if linears[-1].bias is not None:
                linears[-1].bias.zero_()


def _make_conditioner(net_factory, in_features, out_features, hidden_features, num_hidden_layers):
    """``net_factory(in, out)`` (default: ``mlp`` with the given sizes) with its last linear layer zeroed."""
    if net_factory is None:
        net = mlp(in_features, hidden_features, out_features, num_hidden_layers)
    elif callable(net_factory):
        net = net_factory(in_features, out_features)
    else:
        raise TypeError(f"net_factory must be callable (in_features, out_features) -> nn.Module, "
                        f"got {type(net_factory).__name__}")
    if not isinstance(net, nn.Module):
        raise TypeError(f"net_factory must return an nn.Module, got {type(net).__name__}")
    _zero_last_linear(net)
    return net


def _bounded_log_scale(raw, scale_factor):
    """log s = scale_factor * tanh(raw): smooth, bounded by |scale_factor|, and 0 when raw = 0."""
    return scale_factor * torch.tanh(raw)


# ----------------------------------------------------------------------------------------------------
# The interface and its combinators.


class InverseNotAvailable(NotImplementedError):
    """Raised by ``Transform.inverse`` when a transform has no (tractable) inverse."""


class Transform(nn.Module):
    """An invertible map with a tractable Jacobian determinant (base class).

    ``forward(x) -> (z, logabsdet)`` maps data -> noise, logabsdet = log |det dz/dx| of shape (N,);
    ``inverse(z) -> (x, logabsdet)`` maps noise -> data, logabsdet = log |det dx/dz|.
    Subclasses set ``num_features`` (the dimension D) where it is known.
    """

    num_features = None

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x) -> (z, logabsdet)")

    def inverse(self, z):
        raise InverseNotAvailable(f"{type(self).__name__} has no inverse: it only maps data to noise "
                                  "(forward); sampling through it is not possible")


class CompositeTransform(Transform):
    """f = f_K o ... o f_1: ``forward`` applies ``transforms`` in order and sums their log-determinants,

        z = f_K(...f_1(x)),   log |det dz/dx| = sum_k log |det df_k/dh_{k-1}|,

    and ``inverse`` applies the inverses in reverse order.
    """

    def __init__(self, transforms):
        super().__init__()
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not isinstance(t, Transform):
                raise TypeError(f"transforms[{i}] must be a dgm_utils.flows.Transform, got {type(t).__name__}")
        self.transforms = nn.ModuleList(transforms)
        sizes = {t.num_features for t in transforms if t.num_features is not None}
        if len(sizes) > 1:
            raise ValueError(f"all transforms must have the same num_features, got {sorted(sizes)}")
        self.num_features = sizes.pop() if sizes else None

    def forward(self, x):
        logabsdet = x.new_zeros(x.shape[0])  # (N,)
        for t in self.transforms:
            x, step_logabsdet = t(x)
            logabsdet = logabsdet + step_logabsdet
        return x, logabsdet

    def inverse(self, z):
        logabsdet = z.new_zeros(z.shape[0])  # (N,)
        for t in reversed(self.transforms):
            z, step_logabsdet = t.inverse(z)
            logabsdet = logabsdet + step_logabsdet
        return z, logabsdet

    def forward_with_intermediates(self, x):
        """``[x, f_1(x), f_2(f_1(x)), ..., z]``: the input followed by the output of every layer (K + 1 tensors)."""
        outputs = [x]
        for t in self.transforms:
            outputs.append(t(outputs[-1])[0])
        return outputs


class InverseTransform(Transform):
    """f^{-1} as a transform: ``forward`` is ``transform.inverse`` and ``inverse`` is ``transform.forward``."""

    def __init__(self, transform):
        super().__init__()
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a dgm_utils.flows.Transform, got {type(transform).__name__}")
        self.transform = transform
        self.num_features = transform.num_features

    def forward(self, x):
        return self.transform.inverse(x)

    def inverse(self, z):
        return self.transform(z)


# ----------------------------------------------------------------------------------------------------
# Coupling layers (RealNVP).


def alternating_mask(num_features, even=True):
    """Float 0/1 mask (D,) with 1 on the even dimensions (``even=True``) or on the odd ones.

    1 marks the dimensions a coupling layer keeps and conditions on; for D = 2: [1, 0] / [0, 1].
    """
    _check_positive_int(num_features, "num_features")
    mask = (torch.arange(num_features) % 2 == 0).float()  # (D,)
    return mask if even else 1.0 - mask


def checkerboard_mask(height, width, even=True):
    """Float 0/1 mask (height * width,) of a flattened image, 1 where (row + column) is even (``even=True``)."""
    _check_positive_int(height, "height")
    _check_positive_int(width, "width")
    rows, columns = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    mask = ((rows + columns) % 2 == 0).float().reshape(-1)  # (H * W,)
    return mask if even else 1.0 - mask


class AffineCoupling(Transform):
    """Affine coupling layer (RealNVP): keep the masked half, scale and shift the other half.

    With a 0/1 mask m (1 = kept), a conditioner net (shift, log s) = NN(x * m) and b = 1 - m,

        forward:  z = m * x + b * (x * exp(log s) + shift),     log |det dz/dx| = sum_d b_d log s_d,
        inverse:  x = m * z + b * (z - shift) * exp(-log s),    (the conditioner sees z * m = x * m).

    The Jacobian is triangular (kept dims pass unchanged, each changed dim depends on itself only
    through its own scale), hence the cheap determinant. The log-scale is bounded smoothly,
    log s = scale_factor * tanh(raw), with a learned per-dimension ``scale_factor`` (starts at 1).
    The conditioner's last linear layer starts at zero, so a fresh coupling is the identity.

    Args:
        mask: float 0/1 tensor (D,), e.g. ``alternating_mask(D)``.
        net_factory: ``net_factory(in_features, out_features) -> nn.Module`` mapping (N, D) -> (N, 2D)
            (first half: shift, second half: raw log-scale); default ``dgm_utils.nn.mlp`` with
            ``hidden_features`` and ``num_hidden_layers``.
    """

    def __init__(self, mask, net_factory=None, *, hidden_features=64, num_hidden_layers=2):
        super().__init__()
        mask = _check_mask(mask)
        self.num_features = len(mask)
        self.register_buffer("mask", mask)  # (D,)
        self.conditioner = _make_conditioner(net_factory, self.num_features, 2 * self.num_features,
                                             hidden_features, num_hidden_layers)
        self.scale_factor = nn.Parameter(torch.ones(self.num_features))  # (D,)

    def shift_and_log_scale(self, x_kept):
        """(shift, log s), each (N, D), from the kept part ``x * mask`` (N, D)."""
        params = self.conditioner(x_kept)  # (N, 2D)
        if params.shape != (x_kept.shape[0], 2 * self.num_features):
            raise ValueError(f"the conditioner must output shape (N, {2 * self.num_features}), "
                             f"got {tuple(params.shape)}")
        shift, raw = params.chunk(2, dim=1)  # (N, D) each
        return shift, _bounded_log_scale(raw, self.scale_factor)

    def forward(self, x):
        _check_input(x, self.num_features)
        shift, log_scale = self.shift_and_log_scale(x * self.mask)
        changed = 1.0 - self.mask  # (D,)
        z = x * self.mask + changed * (x * torch.exp(log_scale) + shift)  # (N, D)
        return z, (changed * log_scale).sum(1)

    def inverse(self, z):
        _check_input(z, self.num_features, "z")
        shift, log_scale = self.shift_and_log_scale(z * self.mask)
        changed = 1.0 - self.mask
        x = z * self.mask + changed * (z - shift) * torch.exp(-log_scale)  # (N, D)
        return x, -(changed * log_scale).sum(1)


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
        mask = _check_mask(mask)
        _check_positive_int(num_bins, "num_bins")
        if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not 0 < bound < math.inf:
            raise ValueError(f"bound must be a positive finite number, got {bound!r}")
        self.num_features, self.num_bins, self.bound = len(mask), num_bins, float(bound)
        self.register_buffer("mask", mask)  # (D,)
        self.conditioner = _make_conditioner(net_factory, self.num_features, self.num_features * (3 * num_bins - 1),
                                             hidden_features, num_hidden_layers)

    def _spline(self, x, inverse):
        _check_input(x, self.num_features, "z" if inverse else "x")
        params = self.conditioner(x * self.mask).reshape(x.shape[0], self.num_features, 3 * self.num_bins - 1)
        widths, heights, derivatives = params.split([self.num_bins, self.num_bins, self.num_bins - 1], dim=-1)
        y, log_derivative = _rational_quadratic_spline(x, widths, heights, derivatives, self.bound, inverse)
        changed = 1.0 - self.mask
        return x * self.mask + changed * y, (changed * log_derivative).sum(1)

    def forward(self, x):
        return self._spline(x, inverse=False)

    def inverse(self, z):
        return self._spline(z, inverse=True)


# ----------------------------------------------------------------------------------------------------
# Autoregressive layers (MAF, IAF).


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
        _check_positive_int(num_features, "num_features")
        _check_positive_int(hidden_features, "hidden_features")
        if isinstance(num_hidden_layers, bool) or not isinstance(num_hidden_layers, int) or num_hidden_layers < 0:
            raise ValueError(f"num_hidden_layers must be a non-negative int, got {num_hidden_layers!r}")
        ordering = torch.arange(num_features) if ordering is None else _check_ordering(ordering, num_features)
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
        _zero_last_linear(self.network)

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
        return shift, _bounded_log_scale(raw, self.scale_factor)

    def forward(self, x):
        _check_input(x, self.num_features)
        shift, log_scale = self.shift_and_log_scale(x)
        z = (x - shift) * torch.exp(-log_scale)  # (N, D)
        return z, -log_scale.sum(1)

    def inverse(self, z):
        _check_input(z, self.num_features, "z")
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


# ----------------------------------------------------------------------------------------------------
# Linear layers: permutations, LU-linear, actnorm; the logit preprocessing.


class Permutation(Transform):
    """z = x[:, permutation] (z_i = x_{permutation[i]}); volume preserving, logabsdet = 0."""

    def __init__(self, permutation):
        super().__init__()
        if not isinstance(permutation, torch.Tensor):
            raise TypeError(f"permutation must be a 1-D integer tensor, got {type(permutation).__name__}")
        permutation = _check_ordering(permutation, len(permutation), "permutation")
        self.num_features = len(permutation)
        self.register_buffer("permutation", permutation)  # (D,)
        self.register_buffer("inverse_permutation", torch.argsort(permutation))  # (D,)

    def forward(self, x):
        _check_input(x, self.num_features)
        return x[:, self.permutation], x.new_zeros(x.shape[0])

    def inverse(self, z):
        _check_input(z, self.num_features, "z")
        return z[:, self.inverse_permutation], z.new_zeros(z.shape[0])


class ReversePermutation(Permutation):
    """Reverses the order of the dimensions: z = (x_D, ..., x_1)."""

    def __init__(self, num_features):
        _check_positive_int(num_features, "num_features")
        super().__init__(torch.arange(num_features - 1, -1, -1))


class RandomPermutation(Permutation):
    """A fixed random permutation of the dimensions, drawn from a generator seeded by ``seed``."""

    def __init__(self, num_features, seed=0):
        _check_positive_int(num_features, "num_features")
        super().__init__(torch.randperm(num_features, generator=torch.Generator().manual_seed(seed)))


class LULinear(Transform):
    """Invertible linear map z = W x + b with W = P L U (Glow's LU-decomposed 1x1 convolution).

    P is a fixed permutation matrix, L unit lower triangular, U upper triangular with diagonal
    sign * exp(log_diag) (fixed signs), so log |det W| = sum_d log_diag_d, the same for every x.
    The inverse solves two triangular systems. W starts as a random rotation (``random_init=True``,
    seeded; mixes all dimensions) or the identity.
    """

    def __init__(self, num_features, *, random_init=True, seed=0):
        super().__init__()
        _check_positive_int(num_features, "num_features")
        self.num_features = num_features
        if random_init:
            generator = torch.Generator().manual_seed(seed)
            weight = torch.linalg.qr(torch.randn(num_features, num_features, generator=generator))[0]  # (D, D)
        else:
            weight = torch.eye(num_features)
        permutation, lower, upper = torch.linalg.lu(weight)
        diag = torch.diagonal(upper)
        self.register_buffer("permutation_matrix", permutation)  # (D, D)
        self.register_buffer("sign_diag", torch.sign(diag))  # (D,)
        self.lower = nn.Parameter(torch.tril(lower, -1))  # only the strictly lower part is used
        self.upper = nn.Parameter(torch.triu(upper, 1))  # only the strictly upper part is used
        self.log_diag = nn.Parameter(torch.log(diag.abs()))  # (D,)
        self.bias = nn.Parameter(torch.zeros(num_features))  # (D,)

    def _lower_upper(self):
        eye = torch.eye(self.num_features, device=self.lower.device, dtype=self.lower.dtype)
        lower = torch.tril(self.lower, -1) + eye
        upper = torch.triu(self.upper, 1) + torch.diag(self.sign_diag * torch.exp(self.log_diag))
        return lower, upper

    def weight(self):
        """W = P L U, shape (D, D)."""
        lower, upper = self._lower_upper()
        return self.permutation_matrix @ lower @ upper

    def forward(self, x):
        _check_input(x, self.num_features)
        z = x @ self.weight().T + self.bias  # (N, D)
        return z, self.log_diag.sum().expand(x.shape[0])

    def inverse(self, z):
        _check_input(z, self.num_features, "z")
        lower, upper = self._lower_upper()
        y = self.permutation_matrix.T @ (z - self.bias).T  # (D, N): L U x = P^T (z - b)
        y = torch.linalg.solve_triangular(lower, y, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(upper, y, upper=True)  # (D, N)
        return x.T, -self.log_diag.sum().expand(z.shape[0])


class ActNorm(Transform):
    """Activation normalization (Glow): z = (x - loc) * exp(-log_scale) per dimension.

    log |det dz/dx| = -sum_d log_scale_d. Data-dependent initialization: the first forward call in
    training mode sets loc and log_scale to the batch mean and log standard deviation, so that batch
    leaves with zero mean and unit variance in every dimension; the buffer ``initialized`` records it.
    """

    def __init__(self, num_features):
        super().__init__()
        _check_positive_int(num_features, "num_features")
        self.num_features = num_features
        self.loc = nn.Parameter(torch.zeros(num_features))  # (D,)
        self.log_scale = nn.Parameter(torch.zeros(num_features))  # (D,)
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def _initialize(self, x):
        self.loc.copy_(x.mean(0))
        std = x.std(0, unbiased=False) if x.shape[0] > 1 else torch.ones_like(x[0])
        self.log_scale.copy_(torch.log(std + ACTNORM_EPS))
        self.initialized.fill_(True)

    def forward(self, x):
        _check_input(x, self.num_features)
        if self.training and not bool(self.initialized):
            self._initialize(x)
        z = (x - self.loc) * torch.exp(-self.log_scale)  # (N, D)
        return z, -self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z):
        _check_input(z, self.num_features, "z")
        x = z * torch.exp(self.log_scale) + self.loc  # (N, D)
        return x, self.log_scale.sum().expand(z.shape[0])


class LogitTransform(Transform):
    """Logit of squeezed [0, 1] data: z = logit(alpha + (1 - 2 alpha) x) (RealNVP's preprocessing).

    With s = alpha + (1 - 2 alpha) x:  log |det dz/dx| = sum_d [log(1 - 2 alpha) - log s_d - log(1 - s_d)].
    The inverse is x = (sigmoid(z) - alpha) / (1 - 2 alpha). ``num_features`` (optional) enables the
    shape check; x outside [0, 1] raises ValueError.
    """

    def __init__(self, num_features=None, alpha=LOGIT_ALPHA):
        super().__init__()
        if num_features is not None:
            _check_positive_int(num_features, "num_features")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 0.5:
            raise ValueError(f"alpha must be a number in [0, 0.5), got {alpha!r}")
        self.num_features, self.alpha = num_features, float(alpha)

    def _check(self, x, name):
        _check_input(x, self.num_features or (x.shape[-1] if isinstance(x, torch.Tensor) and x.dim() else 1), name)

    def forward(self, x):
        self._check(x, "x")
        if x.numel() and not bool(((x >= 0) & (x <= 1)).all()):
            raise ValueError(f"x must lie in [0, 1] for the logit transform, got values in "
                             f"[{float(x.min()):.3g}, {float(x.max()):.3g}]")
        s = self.alpha + (1 - 2 * self.alpha) * x  # (N, D)
        z = torch.log(s) - torch.log1p(-s)
        logabsdet = (math.log(1 - 2 * self.alpha) - torch.log(s) - torch.log1p(-s)).sum(1)
        return z, logabsdet

    def inverse(self, z):
        self._check(z, "z")
        x = (torch.sigmoid(z) - self.alpha) / (1 - 2 * self.alpha)  # (N, D)
        logabsdet = (F.logsigmoid(z) + F.logsigmoid(-z) - math.log(1 - 2 * self.alpha)).sum(1)
        return x, logabsdet


# ----------------------------------------------------------------------------------------------------
# Base density and flow.


class StandardNormal(nn.Module):
    """The base density N(0, I_D): log p(z) = -||z||^2 / 2 - (D / 2) log(2 pi)."""

    def __init__(self, num_features):
        super().__init__()
        _check_positive_int(num_features, "num_features")
        self.num_features = num_features
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)  # follows the module's device

    def log_prob(self, z):
        """log N(z; 0, I), shape (N,)."""
        _check_input(z, self.num_features, "z")
        return -0.5 * (z**2).sum(1) - 0.5 * self.num_features * _LOG_TWO_PI

    def sample(self, n, generator=None):
        """``n`` draws, (n, D); drawn on the CPU (so a CPU ``generator`` works), then moved to the device."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        return torch.randn(n, self.num_features, generator=generator).to(self._anchor.device)


class Flow(nn.Module):
    """A normalizing flow: a transform (data -> noise) and a base density.

        log p(x) = log p_Z(f(x)) + log |det df/dx|,     sample: z ~ p_Z, x = f^{-1}(z).

    Args:
        transform: a :class:`Transform` (data -> noise).
        base: an object with ``log_prob(z)`` and ``sample(n, generator=None)``; default
            ``StandardNormal(num_features)``.
        num_features: D; inferred from ``transform.num_features`` (or ``base.num_features``) when None.
    """

    def __init__(self, transform, base=None, *, num_features=None):
        super().__init__()
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a dgm_utils.flows.Transform, got {type(transform).__name__}")
        if num_features is None:
            num_features = transform.num_features or getattr(base, "num_features", None)
        if num_features is None:
            raise ValueError("cannot infer num_features from the transform or the base; pass num_features=D")
        _check_positive_int(num_features, "num_features")
        if transform.num_features is not None and transform.num_features != num_features:
            raise ValueError(f"num_features={num_features} but the transform has {transform.num_features}")
        self.num_features = num_features
        self.transform = transform
        self.base = StandardNormal(num_features) if base is None else base

    def transform_to_noise(self, x):
        """z = f(x), shape (N, D)."""
        return self.transform(x)[0]

    def log_prob(self, x):
        """log p(x) in nats, shape (N,)."""
        _check_input(x, self.num_features)
        z, logabsdet = self.transform(x)  # (N, D), (N,)
        return self.base.log_prob(z) + logabsdet

    def loss(self, x):
        """Mean negative log-likelihood -1/N sum_i log p(x_i)."""
        return -self.log_prob(x).mean()

    def sample(self, n, generator=None):
        """``n`` samples x = f^{-1}(z), z ~ base, shape (n, D)."""
        return self.transform.inverse(self.base.sample(n, generator=generator))[0]

    def sample_and_log_prob(self, n, generator=None):
        """Samples (n, D) and their log p (n,), both from the sampling pass: log p(x) = log p_Z(z) - log|det dx/dz|."""
        z = self.base.sample(n, generator=generator)
        x, logabsdet = self.transform.inverse(z)
        return x, self.base.log_prob(z) - logabsdet


def _coupling_flow(make_coupling, num_features, num_layers, actnorm, masks):
    _check_positive_int(num_features, "num_features")
    _check_positive_int(num_layers, "num_layers")
    masks = [alternating_mask(num_features, True), alternating_mask(num_features, False)] if masks is None else masks
    layers = []
    for k in range(num_layers):
        if actnorm:
            layers.append(ActNorm(num_features))
        layers.append(make_coupling(masks[k % len(masks)]))
    return Flow(CompositeTransform(layers))


def realnvp(num_features, num_layers=8, hidden_features=64, num_hidden_layers=2, actnorm=False, masks=None,
            net_factory=None):
    """RealNVP: ``num_layers`` affine couplings with alternating masks (even, odd, even, ...).

    ``masks``: optional list of masks to cycle through instead (e.g. checkerboard masks of an image);
    ``actnorm=True`` puts an :class:`ActNorm` before every coupling; ``net_factory`` is passed to every
    :class:`AffineCoupling` (then ``hidden_features`` and ``num_hidden_layers`` are not used).
    """
    return _coupling_flow(lambda mask: AffineCoupling(mask, net_factory, hidden_features=hidden_features,
                                                      num_hidden_layers=num_hidden_layers),
                          num_features, num_layers, actnorm, masks)


def neural_spline_flow(num_features, num_layers=4, hidden_features=64, num_hidden_layers=2, num_bins=8, bound=5.0,
                       actnorm=False, masks=None):
    """Like :func:`realnvp` with :class:`SplineCoupling` layers (``num_bins`` bins on [-bound, bound])."""
    return _coupling_flow(lambda mask: SplineCoupling(mask, num_bins=num_bins, bound=bound,
                                                      hidden_features=hidden_features,
                                                      num_hidden_layers=num_hidden_layers),
                          num_features, num_layers, actnorm, masks)


def _autoregressive_flow(layer_class, num_features, num_layers, hidden_features, num_hidden_layers, actnorm):
    _check_positive_int(num_features, "num_features")
    _check_positive_int(num_layers, "num_layers")
    layers = []
    for k in range(num_layers):
        if actnorm:
            layers.append(ActNorm(num_features))
        ordering = torch.arange(num_features) if k % 2 == 0 else torch.arange(num_features - 1, -1, -1)
        layers.append(layer_class(num_features, hidden_features, num_hidden_layers, ordering))
    return Flow(CompositeTransform(layers))


def maf(num_features, num_layers=5, hidden_features=64, num_hidden_layers=2, actnorm=False):
    """MAF: ``num_layers`` :class:`MAFLayer` s whose orderings alternate between 0..D-1 and reversed."""
    return _autoregressive_flow(MAFLayer, num_features, num_layers, hidden_features, num_hidden_layers, actnorm)


def iaf(num_features, num_layers=5, hidden_features=64, num_hidden_layers=2, actnorm=False):
    """IAF: ``num_layers`` :class:`IAFLayer` s whose orderings alternate between 0..D-1 and reversed."""
    return _autoregressive_flow(IAFLayer, num_features, num_layers, hidden_features, num_hidden_layers, actnorm)


# ----------------------------------------------------------------------------------------------------
# Dequantization: bounds on the probability of discrete data.


class VariationalDequantizer(nn.Module):
    """q(u | x) on (0, 1)^D: a conditional flow on noise (Flow++'s variational dequantization, simplified).

        eps ~ N(0, I),  h = mu(x) + exp(log sigma(x)) * eps,  h <- conditional affine couplings(h; x),
        u = sigmoid(h),
        log q(u | x) = log N(eps) - sum log sigma - sum_couplings logabsdet - sum_d log[sigmoid'(h_d)].

    The couplings' conditioners see the kept part of h and the rescaled image x / (K - 1).
    ``forward(x, eps=None)`` (N, D) -> (u (N, D), log q(u | x) (N,)), one draw per row (``eps`` (N, D)
    may be given instead of drawn, e.g. to check log q against the Jacobian du/deps).
    """

    def __init__(self, num_features, num_levels, hidden_features=64, num_coupling_layers=2):
        super().__init__()
        _check_positive_int(num_features, "num_features")
        self.num_features, self.num_levels = num_features, num_levels
        self.gaussian = mlp(num_features, hidden_features, 2 * num_features, 1)  # x -> (mu, raw log sigma)
        _zero_last_linear(self.gaussian)
        self.couplings = nn.ModuleList(
            mlp(2 * num_features, hidden_features, 2 * num_features, 1) for _ in range(num_coupling_layers))
        for net in self.couplings:
            _zero_last_linear(net)
        self.register_buffer("masks", torch.stack([alternating_mask(num_features, k % 2 == 0)
                                                   for k in range(num_coupling_layers)]) if num_coupling_layers
                             else torch.zeros(0, num_features))
        self.scale_factor = nn.Parameter(torch.ones(num_coupling_layers + 1, num_features))

    def forward(self, x, eps=None):
        context = x / max(self.num_levels - 1, 1)  # (N, D) in [0, 1]
        mu, raw = self.gaussian(context).chunk(2, dim=1)  # (N, D) each
        log_sigma = _bounded_log_scale(raw, self.scale_factor[0])
        eps = torch.randn_like(x) if eps is None else eps
        h = mu + torch.exp(log_sigma) * eps
        log_q = -0.5 * (eps**2).sum(1) - 0.5 * self.num_features * _LOG_TWO_PI - log_sigma.sum(1)
        for k, net in enumerate(self.couplings):
            mask = self.masks[k]
            shift, raw = net(torch.cat([h * mask, context], dim=1)).chunk(2, dim=1)
            log_scale = _bounded_log_scale(raw, self.scale_factor[k + 1]) * (1 - mask)
            h = h * mask + (1 - mask) * (h * torch.exp(log_scale) + shift)
            log_q = log_q - log_scale.sum(1)
        u = torch.sigmoid(h)  # (N, D)
        log_q = log_q - (F.logsigmoid(h) + F.logsigmoid(-h)).sum(1)
        return u, log_q


class DequantizedFlow(nn.Module):
    """A flow on discrete levels 0..K-1 through dequantization: a lower bound on log P(x) in nats.

    Data x (N, D) holds integer levels (as floats). With u in [0, 1)^D and y = (x + u) / K in [0, 1)^D,

        P(x) = int_{[0,1)^D} p(y) K^{-D} du
        log P(x) >= E_{q(u|x)}[log p(y) - log q(u | x)] - D log K      (Jensen),

    with q uniform (``dequantizer="uniform"``, log q = 0) or a learned :class:`VariationalDequantizer`
    (``"variational"``). So ``-log_prob(x)`` is an UPPER bound on the discrete NLL, comparable with
    categorical models. p(y) is the given ``flow`` applied to logit(alpha + (1 - 2 alpha) y)
    (:class:`LogitTransform`, Jacobian included) unless ``logit_alpha=None`` (then the flow models y).

    Args:
        flow: a :class:`Flow` (or anything with ``log_prob``, ``sample`` and ``num_features``).
        num_levels: K (17 for the digits).
        dequantizer: ``"uniform"`` or ``"variational"``.
        logit_alpha: alpha of the logit preprocessing, or None.
        hidden_features: width of the variational dequantizer's networks.
    """

    DEQUANTIZERS = ("uniform", "variational")

    def __init__(self, flow, num_levels=17, dequantizer="uniform", *, logit_alpha=DEQUANTIZATION_LOGIT_ALPHA,
                 hidden_features=64):
        super().__init__()
        if not isinstance(flow, nn.Module) or not callable(getattr(flow, "log_prob", None)):
            raise TypeError(f"flow must be an nn.Module with log_prob (e.g. a dgm_utils.flows.Flow), "
                            f"got {type(flow).__name__}")
        _check_positive_int(num_levels, "num_levels")
        if dequantizer not in self.DEQUANTIZERS:
            raise ValueError(f"dequantizer must be one of {', '.join(self.DEQUANTIZERS)}, got {dequantizer!r}")
        self.flow, self.num_levels, self.dequantizer_name = flow, num_levels, dequantizer
        self.num_features = flow.num_features
        self.logit = None if logit_alpha is None else LogitTransform(self.num_features, logit_alpha)
        self.dequantizer = (VariationalDequantizer(self.num_features, num_levels, hidden_features)
                            if dequantizer == "variational" else None)

    def _check_levels(self, x):
        _check_input(x, self.num_features)
        if x.numel() and not bool(((x == torch.round(x)) & (x >= 0) & (x <= self.num_levels - 1)).all()):
            raise ValueError(f"x must hold integer levels 0..{self.num_levels - 1}, got values in "
                             f"[{float(x.min()):.3g}, {float(x.max()):.3g}] (or non-integers)")

    def continuous_log_prob(self, y):
        """log p(y) of the continuous model at y in [0, 1]^D, (N,)."""
        if self.logit is None:
            return self.flow.log_prob(y)
        z, logabsdet = self.logit(y)
        return self.flow.log_prob(z) + logabsdet

    def log_prob(self, x, num_samples=1, importance_weighted=False):
        """Dequantization lower bound on log P(x) in nats, shape (N,).

        Averages the bound over ``num_samples`` draws of u (same expectation, lower variance), or with
        ``importance_weighted=True`` takes log (1/S) sum_s exp(bound_s) (Burda et al. 2016), a tighter
        bound in expectation that approaches log P(x) as S grows.
        """
        self._check_levels(x)
        _check_positive_int(num_samples, "num_samples")
        bounds = []
        for _ in range(num_samples):
            if self.dequantizer is None:
                u, log_q = torch.rand_like(x), x.new_zeros(x.shape[0])
            else:
                u, log_q = self.dequantizer(x)
            y = (x + u) / self.num_levels  # (N, D) in [0, 1]
            bounds.append(self.continuous_log_prob(y) - log_q - self.num_features * math.log(self.num_levels))
        bounds = torch.stack(bounds)  # (S, N)
        if importance_weighted:
            return torch.logsumexp(bounds, 0) - math.log(num_samples)
        return bounds.mean(0)

    def loss(self, x):
        """Upper bound on the discrete NLL (nats per example), one dequantization draw per example."""
        return -self.log_prob(x).mean()

    def sample(self, n, generator=None):
        """``n`` images of integer levels (as floats), (n, D): floor(y * K) clamped to 0..K-1."""
        y = self.flow.sample(n, generator=generator)  # (n, D)
        if self.logit is not None:
            y = self.logit.inverse(y)[0]
        return torch.floor(y * self.num_levels).clamp(0, self.num_levels - 1)
