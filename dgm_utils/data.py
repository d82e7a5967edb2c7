"""Data with known truth: 2-D toy distributions with exact densities, and the 8x8 digits.

Toy distributions (chapter 0 onwards)
-------------------------------------
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
  are instances); its density is computed by ``dgm_utils.latent.mixture_log_prob``.

``make_toy(name, **kwargs)`` builds a toy by name (``TOY_DISTRIBUTIONS`` lists them). Every toy has
``bounds``, a box holding essentially all of its mass, used for heat maps and grid integration.

Digits
------
:func:`load_digits` returns scikit-learn's 8x8 handwritten digits (1797 images shipped inside the
package, nothing is downloaded) with 17 intensity levels 0..16, in the fixed split
train = first 1000, validation = next 350, test = last 447 images (the split of J. Tomczak's
``intro_dgm``, so numbers can be compared), optionally binarized at ``BINARIZE_THRESHOLD``.

Sequences (chapter 1)
---------------------
:func:`load_stdlib_text` gathers docstrings from the Python standard library's source files (read with
``ast``, nothing imported), :class:`CharVocabulary` numbers their characters, :func:`sequence_blocks` cuts
a long sequence into training examples. :func:`make_waveforms` draws noisy sums of sinusoids and
:func:`quantize_signal` / :func:`levels_to_signal` map them to and from ``num_levels`` categories.
"""

import functools
import math

import torch

from dgm_utils.latent import mixture_log_prob, mixture_sample

__all__ = [
    "ToyDistribution",
    "GaussianMixture2D",
    "ring",
    "grid",
    "Checkerboard",
    "Banana",
    "TOY_DISTRIBUTIONS",
    "make_toy",
    "NUM_LEVELS",
    "IMAGE_SHAPE",
    "SPLITS",
    "BINARIZE_THRESHOLD",
    "load_digits",
    "load_digit_labels",
    "load_stdlib_text",
    "CharVocabulary",
    "sequence_blocks",
    "make_waveforms",
    "quantize_signal",
    "levels_to_signal",
]

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


def _check_count(num_samples, name="num_samples"):
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        raise TypeError(f"{name} must be an int, got {type(num_samples).__name__}")
    if num_samples < 0:
        raise ValueError(f"{name} must be non-negative, got {num_samples}")


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


class ToyDistribution:
    """A distribution over the plane with an exact density and an exact sampler.

    Attributes:
        name: short name (the key in ``TOY_DISTRIBUTIONS``).
        dim: 2, the dimension of the data.
        bounds: ``((x1_min, x1_max), (x2_min, x2_max))``, a box holding essentially all the mass
            (used for heat maps and for integrating densities on a grid).

    Subclasses implement ``_log_prob(x)`` (on validated input) and ``_sample(n, generator)``, and may
    override ``_exact_entropy()`` when the entropy has a closed form.
    """

    name = "toy"
    dim = 2
    bounds = ((-1.0, 1.0), (-1.0, 1.0))

    def log_prob(self, x):
        """Exact log density log p(x) of each row of ``x``.

        Args:
            x: points, floating-point tensor of shape (N, 2).

        Returns:
            log p(x), shape (N,), dtype of ``x``; may be ``-inf`` outside the support.
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, 2), got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (N, {self.dim}), got {tuple(x.shape)}")
        return self._log_prob(x)

    def sample(self, n, generator=None):
        """Draw ``n`` exact samples, float32 tensor of shape (n, 2)."""
        _check_count(n, "n")
        _check_generator(generator)
        return self._sample(n, generator).to(torch.float32)

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
        _check_count(num_samples)
        if num_samples < 1:
            raise ValueError(f"num_samples must be positive for a Monte Carlo entropy, got {num_samples}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
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

    The density is computed by ``dgm_utils.latent.mixture_log_prob``. The entropy of a mixture has no
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
        return mixture_log_prob(x, self.means.to(x.device, dtype), self.log_stds.to(x.device, dtype),
                                self.logits.to(x.device, dtype))

    def _sample(self, n, generator):
        if n == 0:
            return self.means.new_zeros(0, 2)
        return mixture_sample(n, self.means, self.log_stds, self.logits, generator=generator)

    def _exact_entropy(self):
        if self.num_components == 1:
            return float(self.log_stds.sum()) + 0.5 * self.dim * _LOG_TWO_PI_E
        return None


def ring(num_components=8, radius=2.0, std=0.2):
    """Equal isotropic Gaussians centred at angles 2 pi k / num_components on a circle of ``radius``."""
    _check_count(num_components, "num_components")
    if num_components < 1:
        raise ValueError(f"num_components must be at least 1, got {num_components}")
    _check_positive(radius, "radius")
    _check_positive(std, "std")
    angles = 2.0 * math.pi * torch.arange(num_components, dtype=torch.float64) / num_components  # (K,)
    means = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (K, 2)
    return GaussianMixture2D(means, std, name="ring")


def grid(size=5, spacing=1.0, std=0.15):
    """A ``size x size`` lattice of equal isotropic Gaussians, ``spacing`` apart, centred at the origin."""
    _check_count(size, "size")
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    _check_positive(spacing, "spacing")
    _check_positive(std, "std")
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
        _check_count(num_squares, "num_squares")
        if num_squares < 1:
            raise ValueError(f"num_squares must be at least 1, got {num_squares}")
        _check_positive(half_width, "half_width")
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
        _check_positive(std1, "std1")
        _check_positive(std2, "std2")
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
        return mixture_log_prob(z, zeros, self.log_stds.to(z.device, z.dtype), zeros[:, 0])  # (N,)

    def _log_prob(self, x):
        return self._latent_log_prob(self.data_to_latent(x))  # + log|det dz/dx| = 0

    def _sample(self, n, generator):
        z = torch.randn(n, 2, generator=generator, dtype=torch.float64) * torch.exp(self.log_stds)  # (n, 2)
        return self.latent_to_data(z)

    def _exact_entropy(self):
        return float(self.log_stds.sum()) + 0.5 * self.dim * _LOG_TWO_PI_E


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


# ----------------------------------------------------------------------------------------------------
# Digits

NUM_LEVELS = 17
IMAGE_SHAPE = (8, 8)
SPLITS = {"train": slice(0, 1000), "val": slice(1000, 1350), "test": slice(1350, 1797)}
BINARIZE_THRESHOLD = 8


@functools.lru_cache(maxsize=1)
def _digits_arrays():
    """The 1797 images (1797, 64) as uint8 0..16 and their labels (1797,), read-only, loaded once."""
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    images = bunch.data.astype("uint8")
    labels = bunch.target.astype("int64")
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _split_slice(split):
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(repr(s) for s in SPLITS)}, got {split!r}")
    return SPLITS[split]


def load_digits(split="train", *, binarize=False, dtype=torch.float32):
    """The scikit-learn 8x8 digits of one split, flattened: tensor of shape (N, 64).

    Args:
        split: ``"train"`` (1000 images), ``"val"`` (350) or ``"test"`` (447); see ``SPLITS``.
        binarize: if True return 0/1 pixels, 1 where the intensity is >= ``BINARIZE_THRESHOLD``.
        dtype: floating-point or integer dtype of the result (``torch.long`` for categorical models;
            ``torch.bool`` only with ``binarize``).

    Returns:
        Integer values 0..16 (``NUM_LEVELS`` levels) or 0/1, stored in ``dtype``. Every call returns a
        fresh tensor, so modifying it in place does not change later calls.
    """
    split_slice = _split_slice(split)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__}")
    if dtype.is_complex or (dtype == torch.bool and not binarize):
        raise ValueError(f"dtype must be a real floating-point or integer dtype (bool only with binarize), got {dtype}")
    images = torch.from_numpy(_digits_arrays()[0][split_slice].copy())  # (N, 64) uint8
    if binarize:
        images = images >= BINARIZE_THRESHOLD
    return images.to(dtype)


def load_digit_labels(split="train"):
    """The class labels 0..9 of the images ``load_digits(split)`` returns, int64 tensor of shape (N,)."""
    return torch.from_numpy(_digits_arrays()[1][_split_slice(split)].copy())


# ----------------------------------------------------------------------------------------------------
# Sequences (chapter 1): text from the Python standard library and synthetic 1-D signals.
#
# ``load_stdlib_text`` gathers the docstrings of the standard library's own source files (found with
# ``sysconfig``, parsed with ``ast``, never imported, so nothing runs), a few hundred kilobytes of English
# technical prose available on every machine with Python. The text depends on the Python version (the
# docstrings change between releases) but is deterministic for a given installation and seed.
# ``CharVocabulary`` maps its characters to token ids and back, ``sequence_blocks`` cuts a long sequence
# into training examples. ``make_waveforms`` draws sums of sinusoids plus noise, and ``quantize_signal``
# turns them into ``num_levels`` categories for a WaveNet-style model.

#: Folders of the standard library whose files are skipped (test suites and third-party packages).
STDLIB_SKIPPED_FOLDERS = frozenset({"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"})
_DOCSTRING_SEPARATOR = "\n\n"


def _stdlib_source_files():
    """Paths of the standard library's .py files (sorted, test suites and site-packages excluded)."""
    import os
    import pathlib
    import sysconfig

    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in STDLIB_SKIPPED_FOLDERS]  # prune the walk
        files.extend(pathlib.Path(folder, name) for name in names if name.endswith(".py"))
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def _docstrings_of_file(path):
    """The docstrings of a module's source (module, classes, functions) in source order, keeping those made
    of printable ASCII characters and newlines only."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return []
    nodes = [node for node in ast.walk(tree)
             if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    nodes.sort(key=lambda node: getattr(node, "lineno", 0))
    docstrings = []
    for node in nodes:
        docstring = ast.get_docstring(node, clean=True)  # dedented, tabs expanded (inspect.cleandoc)
        if docstring:
            docstring = docstring.strip()
            if docstring and all(char == "\n" or " " <= char <= "~" for char in docstring):  # printable ASCII
                docstrings.append(docstring)
    return docstrings


@functools.lru_cache(maxsize=8)
def _stdlib_text(max_chars, seed):
    import random

    files = _stdlib_source_files()
    random.Random(seed).shuffle(files)
    pieces, total = [], 0
    for path in files:
        for docstring in _docstrings_of_file(path):
            pieces.append(docstring)
            total += len(docstring) + len(_DOCSTRING_SEPARATOR)
        if max_chars is not None and total >= max_chars:
            break
    text = _DOCSTRING_SEPARATOR.join(pieces)
    return text if max_chars is None else text[:max_chars]


def load_stdlib_text(max_chars=200_000, seed=0):
    """Text made of the docstrings of Python's standard library, read from its source files.

    The source files (test suites excluded) are visited in an order shuffled by ``seed``; each file is
    parsed with ``ast`` (nothing is imported or executed) and its module, class and function docstrings
    made of printable ASCII characters and newlines are appended, separated by blank lines, until
    ``max_chars`` characters are gathered. Docstrings are cleaned as by ``inspect.cleandoc`` (dedented, tabs expanded).

    Args:
        max_chars: length of the returned text (shorter only if the library holds less); None = all of it.
        seed: seeds the order of the files, so different seeds give different (overlapping) texts.

    Returns:
        str of at most ``max_chars`` ASCII characters; the same for the same arguments on one Python.
    """
    if max_chars is not None:
        _check_count(max_chars, "max_chars")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return _stdlib_text(max_chars, seed)


class CharVocabulary:
    """The characters of a text, numbered 0..V-1 in sorted order, with ``encode`` and ``decode``.

    Args:
        text: the characters to number (usually the training text).

    Attributes:
        chars: the sorted distinct characters; token id i stands for ``chars[i]``.
    """

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text must hold at least one character, got an empty string")
        self.chars = sorted(set(text))
        self._index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    @property
    def size(self):
        """V, the number of distinct characters."""
        return len(self.chars)

    def encode(self, text):
        """Token ids of the characters of ``text``: long tensor of shape (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        unknown = sorted(set(text) - self._index.keys())
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {''.join(unknown)!r}")
        return torch.tensor([self._index[char] for char in text], dtype=torch.long)

    def decode(self, ids):
        """The string of token ids (a 1-D tensor or list); a 2-D tensor gives a list of strings."""
        if isinstance(ids, torch.Tensor) and ids.dim() == 2:
            return [self.decode(row) for row in ids]
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.chars) for i in ids):
            raise ValueError(f"ids must be integers in 0..{len(self.chars) - 1}")
        return "".join(self.chars[i] for i in ids)

    def __repr__(self):
        return f"CharVocabulary(size={self.size})"


def sequence_blocks(sequence, block_size, step=None):
    """Cut a long sequence (L,) into windows of ``block_size`` items, ``step`` apart: tensor (N, block_size).

    ``step`` defaults to ``block_size`` (non-overlapping blocks); the tail shorter than a block is dropped.
    """
    if not isinstance(sequence, torch.Tensor) or sequence.dim() != 1:
        got = tuple(sequence.shape) if isinstance(sequence, torch.Tensor) else type(sequence).__name__
        raise ValueError(f"sequence must be a 1-D tensor, got {got}")
    _check_count(block_size, "block_size")
    step = block_size if step is None else step
    _check_count(step, "step")
    if block_size < 1 or step < 1:
        raise ValueError(f"block_size and step must be positive, got {block_size} and {step}")
    if len(sequence) < block_size:
        raise ValueError(f"sequence of length {len(sequence)} is shorter than block_size = {block_size}")
    return sequence.unfold(0, block_size, step).clone()


def make_waveforms(n, length, seed=0, *, num_components=3, frequency_range=(0.01, 0.1), noise_std=0.05):
    """Synthetic 1-D signals: sums of sinusoids with random frequencies, amplitudes and phases, plus noise.

        x_t = sum_{c=1}^{C} a_c sin(2 pi f_c t + phi_c) + sigma eps_t,    clipped to [-1, 1],

    with f_c uniform in ``frequency_range`` (cycles per sample), phi_c uniform in [0, 2 pi), amplitudes
    uniform in [0.2, 1] rescaled so that sum_c a_c = 0.9, and eps_t ~ N(0, 1).

    Args:
        n: number of signals; length: samples per signal.
        seed: seeds every random choice (same arguments, same signals).
        num_components: C, sinusoids per signal.
        frequency_range: (f_min, f_max) with 0 < f_min <= f_max <= 0.5 (the Nyquist frequency).
        noise_std: sigma >= 0.

    Returns:
        float32 tensor (n, length) with values in [-1, 1].
    """
    _check_count(n, "n")
    _check_count(length, "length")
    _check_count(num_components, "num_components")
    if num_components < 1:
        raise ValueError(f"num_components must be at least 1, got {num_components}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    low, high = (float(f) for f in frequency_range)
    if not 0 < low <= high <= 0.5:
        raise ValueError(f"frequency_range must satisfy 0 < f_min <= f_max <= 0.5, got {frequency_range!r}")
    if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float)) or not noise_std >= 0:
        raise ValueError(f"noise_std must be a non-negative number, got {noise_std!r}")
    generator = torch.Generator().manual_seed(seed)
    shape = (n, num_components, 1)
    frequencies = low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float64)
    phases = 2.0 * math.pi * torch.rand(shape, generator=generator, dtype=torch.float64)
    amplitudes = 0.2 + 0.8 * torch.rand(shape, generator=generator, dtype=torch.float64)
    amplitudes = 0.9 * amplitudes / amplitudes.sum(1, keepdim=True)
    time = torch.arange(length, dtype=torch.float64)  # (length,)
    signal = (amplitudes * torch.sin(2.0 * math.pi * frequencies * time + phases)).sum(1)  # (n, length)
    signal = signal + noise_std * torch.randn(n, length, generator=generator, dtype=torch.float64)
    return signal.clamp(-1.0, 1.0).float()


def quantize_signal(x, num_levels, low=-1.0, high=1.0):
    """Levels 0..K-1 of values in [low, high]: K equal bins, level = floor(K (x - low) / (high - low)).

    Values outside the interval go to the first or last level. Returns a long tensor shaped like ``x``.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got "
                        f"{x.dtype if isinstance(x, torch.Tensor) else type(x).__name__}")
    _check_count(num_levels, "num_levels")
    if num_levels < 2 or not high > low:
        raise ValueError(f"need num_levels >= 2 and high > low, got {num_levels}, low={low}, high={high}")
    levels = torch.floor((x - low) / (high - low) * num_levels).long()
    return levels.clamp(0, num_levels - 1)


def levels_to_signal(levels, num_levels, low=-1.0, high=1.0):
    """The centres of the bins of ``quantize_signal``: low + (level + 1/2) (high - low) / K, float32."""
    if not isinstance(levels, torch.Tensor) or levels.is_floating_point() or levels.is_complex():
        raise TypeError(f"levels must be an integer tensor, got "
                        f"{levels.dtype if isinstance(levels, torch.Tensor) else type(levels).__name__}")
    _check_count(num_levels, "num_levels")
    if levels.numel() and (int(levels.min()) < 0 or int(levels.max()) >= num_levels):
        raise ValueError(f"levels must lie in 0..{num_levels - 1}, got {int(levels.min())}..{int(levels.max())}")
    return (low + (levels.float() + 0.5) * (high - low) / num_levels).float()
