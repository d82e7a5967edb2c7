"""Data with known truth: 2-D toy distributions with exact densities, and the 8x8 digits.

Toy distributions with exact densities (chapter 0 onwards).

Every toy is a :class:`ToyDistribution` over the plane with an **exact** ``log_prob`` and an exact
sampler. Knowing the true density p turns a model's negative log-likelihood into a distance: for any
model q,

    NLL(q) = E_p[-log q(x)] = H(p) + KL(p || q),      so      NLL(q) - H(p) = KL(p || q) >= 0.

The entropy H(p) is the physical limit no model can beat, and the gap to it (``dgm_utils.metrics.kl_gap``)
says how far a trained model still is from the truth, in nats. Without an exact density we could only
compare models with each other.

The toys:

* :func:`ring` -- ``num_components`` equal Gaussians evenly spaced on a circle (a multimodal density
  with holes between the modes; models that cannot put mass apart smear it over the ring).
* :func:`grid` -- a ``size x size`` lattice of equal Gaussians (many well separated modes).
* :class:`Checkerboard` -- the uniform distribution on the dark squares of a checkerboard: constant
  density inside, zero outside, sharp edges. ``log_prob`` is ``-log(support area)`` on the support
  and ``-inf`` off it, and the entropy is exactly ``log(support area)``.
* :class:`Banana` -- a Gaussian bent by the volume-preserving bijection
  ``x1 = z1, x2 = z2 + curvature * (z1^2 - std1^2)``; its density follows from the change of
  variables with a unit Jacobian, and its entropy equals that of the Gaussian.
* :class:`GaussianMixture2D` -- any diagonal Gaussian mixture in the plane (the ring and the grid
  are instances); its density is computed by ``dgm_utils.distributions.mixture_log_prob``.

``make_toy(name, **kwargs)`` builds a toy by name (``TOY_DISTRIBUTIONS`` lists them). Every toy has
``bounds``, a box holding essentially all of its mass, used for heat maps and grid integration.
"""

import math

import torch

from dgm_utils import distributions
from dgm_utils._validation import (check_bounds, check_count, check_generator, check_int, check_number, check_points,
                                   check_positive_int)
from dgm_utils.base import Likelihood, ModelInterface

__all__ = ["ToyDistribution", "GaussianMixture2D", "ring", "grid", "Checkerboard", "Banana", "UniformBox",
           "box_gaussian", "TOY_DISTRIBUTIONS", "make_toy"]


_LOG_TWO_PI_E = math.log(2.0 * math.pi * math.e)

# Gaussian toys: the plotting/integration box reaches this many standard deviations past every mean;
# the mass outside is below 1e-6 per component.
_BOUNDS_NUM_STDS = 5.0
# Box edges are rounded outwards to multiples of this step, so the boxes read nicely on plot axes.
_BOUNDS_STEP = 0.5


def _rounded_box(lower, upper):
    """((lo, hi), ...) with lo rounded down and hi rounded up to multiples of _BOUNDS_STEP."""
    return tuple(
        (math.floor(lo / _BOUNDS_STEP) * _BOUNDS_STEP, math.ceil(hi / _BOUNDS_STEP) * _BOUNDS_STEP)
        for lo, hi in zip(lower, upper)
    )


class ToyDistribution(ModelInterface):
    """A distribution over the plane with an exact density and an exact sampler.

    Attributes:
        name: short name (the key in ``TOY_DISTRIBUTIONS``).
        num_features: 2, the dimension of the data.
        likelihood: ``Likelihood.EXACT`` (the interface of :mod:`dgm_utils.base`).
        bounds: ``((x1_min, x1_max), (x2_min, x2_max))``, a box holding essentially all the mass
            (used for heat maps and for integrating densities on a grid).

    Subclasses implement ``_log_prob(x)`` (on validated input) and ``_sample(n, generator)``, and may
    override ``_exact_entropy()`` when the entropy has a closed form.
    """

    name = "toy"
    num_features = 2
    likelihood = Likelihood.EXACT
    bounds = ((-1.0, 1.0), (-1.0, 1.0))

    def log_prob(self, x, *, context=None):
        """Exact log density log p(x) of each row of ``x``.

        Args:
            x: points, floating-point tensor of shape (N, 2).

        Returns:
            log p(x), shape (N,), dtype of ``x``; may be ``-inf`` outside the support.
        """
        self.check_context(context)
        check_points(x, "x", dim=self.num_features)
        return self._log_prob(x)

    def sample(self, num_samples, *, generator=None, context=None):
        """Draw ``num_samples`` exact samples, float32 tensor of shape (num_samples, 2)."""
        check_count(num_samples)
        check_generator(generator)
        self.check_context(context)
        return self._sample(num_samples, generator).to(torch.float32)

    def entropy(self, num_samples=200_000, seed=0):
        """Differential entropy H(p) = -E_p[log p(x)] in nats.

        Exact where a closed form exists; otherwise the Monte Carlo estimate -mean_i log p(x_i) on
        ``num_samples`` samples drawn with a generator seeded by ``seed`` (computed in float64 and
        cached, so repeated calls are free and return the same number). Its standard error is
        std(log p) / sqrt(num_samples), about 2e-3 nats for the default toys and sample size.
        """
        exact = self._exact_entropy()
        if exact is not None:
            return exact
        check_count(num_samples)
        if num_samples < 1:
            raise ValueError(f"num_samples must be positive for a Monte Carlo entropy, got {num_samples}")
        check_int(seed, "seed")
        cache = self.__dict__.setdefault("_entropy_cache", {})
        key = (num_samples, seed)
        if key not in cache:
            generator = torch.Generator().manual_seed(seed)
            x = self.sample(num_samples, generator=generator).double()  # (n, 2)
            cache[key] = float(-self.log_prob(x).mean())
        return cache[key]

    def _exact_entropy(self):
        return None

    def _log_prob(self, x):
        raise NotImplementedError

    def _sample(self, n, generator):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, bounds={self.bounds})"


class GaussianMixture2D(ToyDistribution):
    """A fixed diagonal Gaussian mixture p(x) = sum_k w_k N(x; mu_k, diag(sigma_k^2)) in the plane.

    Args:
        means: component means mu_k, shape (K, 2).
        stds: standard deviations sigma_k, shape (K, 2), (K,) (isotropic per component) or a scalar.
        weights: mixture weights w_k, shape (K,), non-negative (normalized here); None = equal weights.
        name: the toy's name.

    The density is computed by ``dgm_utils.distributions.mixture_log_prob``. The entropy of a mixture has no
    closed form (Monte Carlo is used), except for a single Gaussian:
    H = sum_d log sigma_d + (D / 2) log(2 pi e).
    """

    def __init__(self, means, stds, weights=None, name="gaussian_mixture"):
        means = torch.as_tensor(means, dtype=torch.float64)
        if means.dim() != 2 or means.shape[1] != 2 or means.shape[0] < 1:
            raise ValueError(f"means must have shape (K, 2) with K >= 1, got {tuple(means.shape)}")
        num_components = means.shape[0]
        stds = torch.as_tensor(stds, dtype=torch.float64)
        if stds.dim() == 0:
            stds = stds.expand(num_components, 2)
        elif stds.shape == (num_components,):
            stds = stds[:, None].expand(num_components, 2)
        if stds.shape != (num_components, 2):
            raise ValueError(f"stds must be a scalar or have shape ({num_components},) or ({num_components}, 2), "
                             f"got {tuple(stds.shape)}")
        if not bool(torch.all(torch.isfinite(stds) & (stds > 0))) or not bool(torch.all(torch.isfinite(means))):
            raise ValueError("means must be finite and stds positive and finite")
        if weights is None:
            weights = torch.ones(num_components, dtype=torch.float64)
        weights = torch.as_tensor(weights, dtype=torch.float64)
        if weights.shape != (num_components,):
            raise ValueError(f"weights must have shape ({num_components},), got {tuple(weights.shape)}")
        if not bool(torch.all(torch.isfinite(weights) & (weights >= 0))) or float(weights.sum()) <= 0:
            raise ValueError("weights must be non-negative, finite and not all zero")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")

        self.name = name
        self.means = means  # (K, 2)
        self.log_stds = torch.log(stds).contiguous()  # (K, 2)
        self.logits = torch.log(weights / weights.sum())  # (K,), log w_k
        reach = _BOUNDS_NUM_STDS * stds
        self.bounds = _rounded_box((means - reach).min(0).values.tolist(), (means + reach).max(0).values.tolist())

    @property
    def num_components(self):
        return self.means.shape[0]

    @property
    def stds(self):
        return torch.exp(self.log_stds)

    @property
    def weights(self):
        return torch.exp(self.logits)

    def _log_prob(self, x):
        dtype = x.dtype
        return distributions.mixture_log_prob(x, self.means.to(x.device, dtype), self.log_stds.to(x.device, dtype),
                                self.logits.to(x.device, dtype))

    def _sample(self, n, generator):
        if n == 0:
            return self.means.new_zeros(0, 2)
        return distributions.mixture_sample(n, self.means, self.log_stds, self.logits, generator=generator)

    def _exact_entropy(self):
        if self.num_components == 1:
            return float(self.log_stds.sum()) + 0.5 * self.num_features * _LOG_TWO_PI_E
        return None


def ring(num_components=8, radius=2.0, std=0.2):
    """Equal isotropic Gaussians centred at angles 2 pi k / num_components on a circle of ``radius``."""
    check_positive_int(num_components, "num_components")
    check_number(radius, "radius")
    check_number(std, "std")
    angles = 2.0 * math.pi * torch.arange(num_components, dtype=torch.float64) / num_components  # (K,)
    means = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (K, 2)
    return GaussianMixture2D(means, std, name="ring")


def grid(size=5, spacing=1.0, std=0.15):
    """A ``size x size`` lattice of equal isotropic Gaussians, ``spacing`` apart, centred at the origin."""
    check_positive_int(size, "size")
    check_number(spacing, "spacing")
    check_number(std, "std")
    ticks = spacing * (torch.arange(size, dtype=torch.float64) - (size - 1) / 2.0)  # (size,)
    means = torch.cartesian_prod(ticks, ticks)  # (size^2, 2)
    return GaussianMixture2D(means, std, name="grid")


class Checkerboard(ToyDistribution):
    """Uniform distribution on the dark squares of a checkerboard.

    The box [-half_width, half_width]^2 is cut into ``num_squares x num_squares`` squares of side
    ``s = 2 * half_width / num_squares``; square (i, j) (column i from the left, row j from the bottom)
    is in the support when i + j is even. With A = (number of support squares) * s^2,

        p(x) = 1 / A on the support and 0 elsewhere,   log p(x) = -log A or -inf,   H(p) = log A.

    Sampling picks a support square uniformly (they all have the same area) and a uniform point inside
    it, so samples are exactly uniform on the support. Points within ``EDGE_TOLERANCE`` square widths
    of the edge of a support square count as inside: the edges have zero area, so the density is
    unchanged, but a sample that float32 rounding put on an edge never gets log p = -inf.
    """

    EDGE_TOLERANCE = 1e-5

    def __init__(self, num_squares=4, half_width=2.0):
        check_positive_int(num_squares, "num_squares")
        check_number(half_width, "half_width")
        self.name = "checkerboard"
        self.num_squares = num_squares
        self.half_width = float(half_width)
        self.square_width = 2.0 * self.half_width / num_squares
        columns, rows = torch.meshgrid(torch.arange(num_squares), torch.arange(num_squares), indexing="ij")
        is_dark = (columns + rows) % 2 == 0
        self.support_squares = torch.stack([columns[is_dark], rows[is_dark]], dim=1)  # (C, 2) (column, row)
        self.support_area = len(self.support_squares) * self.square_width**2
        # half a square of empty margin around the board in plots and grid integrals
        edge = self.half_width + 0.5 * self.square_width
        self.bounds = ((-edge, edge), (-edge, edge))

    def _log_prob(self, x):
        position = (x.double() + self.half_width) / self.square_width  # (N, 2) in square units, board = [0, n]^2
        tolerance = self.EDGE_TOLERANCE
        inside = torch.zeros(len(x), dtype=torch.bool, device=x.device)
        # A point on (or within tolerance of) an edge belongs to the squares on both sides of it.
        for shift_column in (-tolerance, tolerance):
            for shift_row in (-tolerance, tolerance):
                square = torch.floor(position + torch.tensor([shift_column, shift_row], dtype=position.dtype,
                                                             device=x.device))  # (N, 2)
                on_board = ((square >= 0) & (square < self.num_squares)).all(dim=1)
                inside |= on_board & (square.sum(dim=1) % 2 == 0)
        log_density = torch.full((len(x),), -math.log(self.support_area), dtype=x.dtype, device=x.device)
        return log_density.masked_fill(~inside, float("-inf"))

    def _sample(self, n, generator):
        chosen = torch.randint(len(self.support_squares), (n,), generator=generator)  # (n,)
        offset = torch.rand(n, 2, generator=generator, dtype=torch.float64)  # (n, 2) uniform in the square
        return -self.half_width + (self.support_squares[chosen] + offset) * self.square_width

    def _exact_entropy(self):
        return math.log(self.support_area)


class Banana(ToyDistribution):
    """A Gaussian bent into a banana by a volume-preserving bijection.

    Latent z ~ N(0, diag(std1^2, std2^2)) and

        x1 = z1,    x2 = z2 + curvature * (z1^2 - std1^2)      (inverse: z2 = x2 - curvature * (x1^2 - std1^2)).

    The Jacobian dx/dz is lower triangular with ones on the diagonal, so |det| = 1 and

        log p(x) = log N(z(x); 0, diag(std1^2, std2^2)),    H(p) = H(z) = log(2 pi e std1 std2).

    Subtracting std1^2 keeps E[x2] = 0.
    """

    # the box reaches this many latent standard deviations (mass outside below 1.3e-4)
    BOUNDS_NUM_STDS = 4.0

    def __init__(self, std1=1.0, std2=0.3, curvature=0.3):
        check_number(std1, "std1")
        check_number(std2, "std2")
        if isinstance(curvature, bool) or not isinstance(curvature, (int, float)) or not math.isfinite(curvature):
            raise TypeError(f"curvature must be a finite real number, got {curvature!r}")
        self.name = "banana"
        self.std1 = float(std1)
        self.std2 = float(std2)
        self.curvature = float(curvature)
        self.log_stds = torch.log(torch.tensor([[self.std1, self.std2]], dtype=torch.float64))  # (1, 2)
        reach1 = self.BOUNDS_NUM_STDS * self.std1
        reach2 = self.BOUNDS_NUM_STDS * self.std2
        bend = [self.curvature * (z1**2 - self.std1**2) for z1 in (0.0, reach1)]  # extremes of the bend
        self.bounds = _rounded_box((-reach1, min(bend) - reach2), (reach1, max(bend) + reach2))

    def latent_to_data(self, z):
        """The bijection x = f(z), shapes (N, 2) -> (N, 2)."""
        z1, z2 = z[:, 0], z[:, 1]
        return torch.stack([z1, z2 + self.curvature * (z1**2 - self.std1**2)], dim=1)

    def data_to_latent(self, x):
        """The inverse z = f^{-1}(x), shapes (N, 2) -> (N, 2)."""
        x1, x2 = x[:, 0], x[:, 1]
        return torch.stack([x1, x2 - self.curvature * (x1**2 - self.std1**2)], dim=1)

    def _latent_log_prob(self, z):
        zeros = torch.zeros(1, 2, dtype=z.dtype, device=z.device)
        return distributions.mixture_log_prob(z, zeros, self.log_stds.to(z.device, z.dtype), zeros[:, 0])  # (N,)

    def _log_prob(self, x):
        return self._latent_log_prob(self.data_to_latent(x))  # + log|det dz/dx| = 0

    def _sample(self, n, generator):
        z = torch.randn(n, 2, generator=generator, dtype=torch.float64) * torch.exp(self.log_stds)  # (n, 2)
        return self.latent_to_data(z)

    def _exact_entropy(self):
        return float(self.log_stds.sum()) + 0.5 * self.num_features * _LOG_TWO_PI_E


class UniformBox(ToyDistribution):
    """The uniform distribution on a box ((x1_min, x1_max), (x2_min, x2_max)): log p = -log(area) inside, -inf
    outside (points on the edges count as inside), H(p) = log(area). Not a data toy but a reference density, e.g.
    the noise of noise-contrastive estimation for data that fills its box (the checkerboard)."""

    def __init__(self, bounds, name="uniform_box"):
        self.bounds = check_bounds(bounds)
        self.name = name
        (x_low, x_high), (y_low, y_high) = self.bounds
        self._low = torch.tensor([x_low, y_low], dtype=torch.float64)
        self._width = torch.tensor([x_high - x_low, y_high - y_low], dtype=torch.float64)
        self.log_area = math.log(float(self._width.prod()))

    def _log_prob(self, x):
        low, high = self._low.to(x.device, x.dtype), (self._low + self._width).to(x.device, x.dtype)
        inside = ((x >= low) & (x <= high)).all(dim=1)  # (N,)
        log_density = torch.full((len(x),), -self.log_area, dtype=x.dtype, device=x.device)
        return log_density.masked_fill(~inside, float("-inf"))

    def _sample(self, n, generator):
        return self._low + self._width * torch.rand(n, 2, generator=generator, dtype=torch.float64)  # (n, 2)

    def _exact_entropy(self):
        return self.log_area


def box_gaussian(bounds, scale=4.0, name="box_gaussian"):
    """The Gaussian centred on a box ((x1_min, x1_max), (x2_min, x2_max)) with standard deviations (box widths) /
    ``scale``: a reference density covering the box with tails beyond it, e.g. the noise of noise-contrastive
    estimation for data inside the box. A :class:`GaussianMixture2D` of one component."""
    (x_low, x_high), (y_low, y_high) = check_bounds(bounds)
    check_number(scale, "scale")
    return GaussianMixture2D([[(x_low + x_high) / 2, (y_low + y_high) / 2]],
                             [[(x_high - x_low) / scale, (y_high - y_low) / scale]], name=name)


TOY_DISTRIBUTIONS = {
    "ring": ring,
    "grid": grid,
    "checkerboard": Checkerboard,
    "banana": Banana,
}


def make_toy(name, **kwargs):
    """Build the toy distribution called ``name`` (a key of ``TOY_DISTRIBUTIONS``) with ``kwargs``."""
    if name not in TOY_DISTRIBUTIONS:
        raise ValueError(f"unknown toy distribution {name!r}; expected one of {', '.join(sorted(TOY_DISTRIBUTIONS))}")
    return TOY_DISTRIBUTIONS[name](**kwargs)

