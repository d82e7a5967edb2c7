"""Autoregressive models (unit 1 of the course).

Every model here factorizes a joint distribution with the chain rule, in a fixed ordering of the
dimensions,

    p(x) = prod_{i=1}^{D} p(x_i | x_{<i}),        log p(x) = sum_i log p(x_i | x_{<i}),

and computes all D conditionals with ONE network pass by making the network *autoregressive*: output i
depends only on the inputs before i in the ordering (its Jacobian is strictly lower triangular). The
likelihood is then exact and costs one pass; sampling needs D passes, one dimension at a time.

The models differ in how they enforce that structure:

* :class:`MADE` (Germain et al. 2015) -- an MLP whose weights are multiplied by 0/1 masks built from
  *degrees* (:func:`made_masks`); outputs are Bernoulli, categorical or a mixture of Gaussians per
  dimension; several orderings can be trained at once and averaged as an ensemble.
* :class:`PixelCNN` (van den Oord et al. 2016) -- convolutions with masked kernels
  (:class:`MaskedConv2d`, type "A" hides the centre pixel, type "B" keeps it) in raster order (or a
  flipped raster order); :class:`OrderingEnsemble` averages models that use different orderings.
* :class:`CausalTransformer` (Vaswani et al. 2017; a GPT in the spirit of nanoGPT) -- self-attention with
  a causal mask over a sequence of tokens, e.g. characters of text.
* :class:`WaveNet` (van den Oord et al. 2016) -- a stack of dilated causal 1-D convolutions
  (:class:`CausalConv1d`) whose receptive field doubles with every layer.

Every density model exposes ``log_prob(x) -> (N,)`` in nats, ``sample(n)`` and ``loss(x) =
-log_prob(x).mean()``. The sequence models predict position t from a learned *start token* followed
by x_0..x_{t-1}, so the first position is predicted unconditionally.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "made_masks",
    "MaskedLinear",
    "MADE",
    "MaskedConv2d",
    "PixelCNN",
    "OrderingEnsemble",
    "CausalTransformer",
    "CausalConv1d",
    "WaveNet",
]

#: Mixture outputs: log standard deviations are clamped to this range (sigma between 1e-3 and e^5).
LOG_STD_MIN, LOG_STD_MAX = -7.0, 5.0
#: Mixture outputs start as components spread evenly over [-MIXTURE_INIT_RANGE, MIXTURE_INIT_RANGE]
#: (data of order-one scale; standardize other data), each as wide as the spacing of the means.
MIXTURE_INIT_RANGE = 2.0
#: ... and the output weights are scaled down by this factor, so every conditional starts near that spread.
MIXTURE_INIT_WEIGHT_SCALE = 0.1


# ----------------------------------------------------------------------------------------------------
# Shared pieces: argument checks and categorical outputs.


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")


def _check_count(n, name="n"):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise ValueError(f"{name} must be non-negative, got {n}")


def _check_sizes(values, name):
    if isinstance(values, int):
        values = (values,)
    values = tuple(values)
    for value in values:
        _check_positive_int(value, f"every entry of {name}")
    return values


def _check_temperature(temperature):
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a positive number, got {type(temperature).__name__}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive finite number, got {temperature!r}")


def _check_generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _as_categories(x, num_categories, name="x"):
    """``x`` as a long tensor of category indices 0..num_categories-1 (integer-valued floats accepted)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.is_complex():
        raise TypeError(f"{name} must hold integer category values, got dtype {x.dtype}")
    if x.is_floating_point() and not bool(torch.all(x == torch.round(x))):
        raise ValueError(f"{name} must hold integer category values 0..{num_categories - 1}, got non-integers")
    x = x.long()
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= num_categories):
        raise ValueError(f"{name} must hold values in 0..{num_categories - 1}, "
                         f"got values in {int(x.min())}..{int(x.max())}")
    return x


def _categorical_log_prob(logits, x):
    """log softmax(logits)[x] for logits (..., K) and integer x (...) -> (...)."""
    return torch.log_softmax(logits, dim=-1).gather(-1, x.unsqueeze(-1)).squeeze(-1)


def _sample_categorical(logits, generator=None, temperature=1.0):
    """One draw from softmax(logits / temperature) for each row of logits (..., K) -> long (...).

    Inverse-CDF sampling with uniforms drawn on the CPU (so a CPU generator works for any device):
    the category is the number of cumulative probabilities below u.
    """
    probs = torch.softmax(logits.detach().float() / temperature, dim=-1)  # (..., K)
    uniform = torch.rand(probs.shape[:-1], generator=generator).to(probs.device)  # (...)
    cdf = torch.cumsum(probs, dim=-1)
    index = (cdf < uniform.unsqueeze(-1)).sum(-1)
    return index.clamp(max=probs.shape[-1] - 1)


# ----------------------------------------------------------------------------------------------------
# MADE


def made_masks(input_degrees, hidden_degrees, output_degrees=None):
    """The connectivity masks of MADE, built from the degrees of the units (Germain et al. 2015).

    Every unit k carries a degree m(k). An input unit has the degree of its dimension in the ordering,
    1..D. A hidden unit of degree m may see the units of the layer below of degree <= m; an output of
    degree d may only see hidden units of degree < d (strict, so output d never sees input d):

        M^l[k, j] = 1[m^l(k) >= m^{l-1}(j)]   (hidden layers),    M^out[i, k] = 1[m_out(i) > m^L(k)].

    Then output d depends only on inputs of degree < d: the network is autoregressive.

    Args:
        input_degrees: long tensor (D_in,), degrees of the input units.
        hidden_degrees: list of long tensors (H_l,), one per hidden layer (may be empty).
        output_degrees: long tensor (D_out,); default ``input_degrees`` (one output per input).

    Returns:
        list of float masks ``[M^1, ..., M^L, M^out]``, mask l of shape (H_l, H_{l-1}) like an
        ``nn.Linear`` weight (out_features, in_features).
    """
    degrees = [input_degrees, *hidden_degrees]
    output_degrees = input_degrees if output_degrees is None else output_degrees
    for name, value in [("input_degrees", input_degrees), ("output_degrees", output_degrees)] + [
            (f"hidden_degrees[{l}]", h) for l, h in enumerate(hidden_degrees)]:
        if not isinstance(value, torch.Tensor) or value.dim() != 1 or value.is_floating_point():
            raise TypeError(f"{name} must be a 1-D integer tensor, got "
                            f"{value.dtype if isinstance(value, torch.Tensor) else type(value).__name__}")
    masks = [(upper[:, None] >= lower[None, :]).float() for lower, upper in zip(degrees[:-1], degrees[1:])]
    masks.append((output_degrees[:, None] > degrees[-1][None, :]).float())
    return masks


class MaskedLinear(nn.Linear):
    """A linear layer y = (W * M) x + b whose weight is multiplied by a fixed 0/1 ``mask`` M (out, in)."""

    def __init__(self, in_features, out_features, mask=None, bias=True):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))
        if mask is not None:
            self.set_mask(mask)

    def set_mask(self, mask):
        """Replace the mask (same shape as the weight)."""
        if not isinstance(mask, torch.Tensor) or mask.shape != self.weight.shape:
            raise ValueError(f"mask must be a tensor of shape {tuple(self.weight.shape)}, got "
                             f"{tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__}")
        self.mask.copy_(mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)  # (N, out)


class MADE(nn.Module):
    """Masked autoencoder for distribution estimation: p(x) = prod_d p(x_d | x_{<d}) with one masked MLP.

    Args:
        dim: number of dimensions D.
        hidden_sizes: widths of the hidden layers.
        output: conditional distribution of each dimension:
            ``"bernoulli"`` (x in {0, 1}, one logit per dimension),
            ``"categorical"`` (x in 0..K-1, K logits; the input is one-hot encoded),
            ``"gaussian_mixture"`` (real x; ``num_components`` weights, means and log-stds).
        num_categories: K for ``"categorical"``.
        num_components: mixture size for ``"gaussian_mixture"``.
        num_orderings: number R of orderings (each with its own masks). With R > 1 the density is the
            ensemble p(x) = (1/R) sum_r p_r(x); training (``loss`` in train mode) uses one random
            ordering per batch, an upper bound on the ensemble's NLL by Jensen's inequality.
        natural_ordering: use the order 1..D for the first ordering (the others are random).
        seed: seeds the orderings and hidden degrees (the masks are reproducible).
    """

    OUTPUTS = ("bernoulli", "categorical", "gaussian_mixture")

    def __init__(self, dim, hidden_sizes=(128, 128), *, output="bernoulli", num_categories=2, num_components=5,
                 num_orderings=1, natural_ordering=True, seed=0):
        super().__init__()
        _check_positive_int(dim, "dim")
        hidden_sizes = _check_sizes(hidden_sizes, "hidden_sizes")
        if output not in self.OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(self.OUTPUTS)}, got {output!r}")
        _check_positive_int(num_categories, "num_categories")
        _check_positive_int(num_components, "num_components")
        _check_positive_int(num_orderings, "num_orderings")
        self.dim, self.output, self.num_orderings = dim, output, num_orderings
        self.num_categories, self.num_components = num_categories, num_components
        # units per dimension at the input (one-hot for categorical) and parameters per dimension at the output
        self.input_width = num_categories if output == "categorical" else 1
        self.params_per_dim = {"bernoulli": 1, "categorical": num_categories,
                               "gaussian_mixture": 3 * num_components}[output]

        generator = torch.Generator().manual_seed(seed)
        orderings, mask_sets = [], []
        for r in range(num_orderings):
            order = torch.arange(dim) if (r == 0 and natural_ordering) else torch.randperm(dim, generator=generator)
            degrees = torch.empty(dim, dtype=torch.long)
            degrees[order] = torch.arange(1, dim + 1)  # degree of dimension d = 1 + its position in the order
            hidden_degrees, lowest = [], 1
            for size in hidden_sizes:  # m^l(k) uniform in [min m^{l-1}, D - 1] (paper, section 4)
                hidden_degrees.append(torch.randint(lowest, max(dim, lowest + 1), (size,), generator=generator))
                lowest = int(hidden_degrees[-1].min())
            orderings.append(order)
            mask_sets.append(made_masks(degrees.repeat_interleave(self.input_width), hidden_degrees,
                                        degrees.repeat_interleave(self.params_per_dim)))
        self.register_buffer("orderings", torch.stack(orderings))  # (R, D), orderings[r, i] = i-th dimension

        widths = [dim * self.input_width, *hidden_sizes, dim * self.params_per_dim]
        layers = []
        for l in range(len(widths) - 1):
            layers.append(MaskedLinear(widths[l], widths[l + 1]))
            layers.append(nn.ReLU())
            self.register_buffer(f"mask_bank_{l}", torch.stack([masks[l] for masks in mask_sets]))  # (R, out, in)
        self.network = nn.Sequential(*layers[:-1])  # no activation after the output layer
        self._use_ordering(0)
        if output == "gaussian_mixture":
            self._spread_mixture_components()

    @torch.no_grad()
    def _spread_mixture_components(self):
        """Start every conditional as a broad mixture: with all components near 0, gradient descent is slow
        to pull them apart over the data (a uniform marginal is then fitted 10x worse in the same time)."""
        output_layer = self.network[-1]
        output_layer.weight.mul_(MIXTURE_INIT_WEIGHT_SCALE)
        bias = output_layer.bias.view(self.dim, 3, self.num_components)  # logits, means, log_stds
        bias[:, 1] = torch.linspace(-MIXTURE_INIT_RANGE, MIXTURE_INIT_RANGE, self.num_components)
        bias[:, 2] = math.log(2.0 * MIXTURE_INIT_RANGE / self.num_components)

    def _use_ordering(self, r):
        """Load the masks of ordering r into the layers (always: a restored state_dict may hold any ordering's)."""
        for l, layer in enumerate(self.network[::2]):
            layer.set_mask(getattr(self, f"mask_bank_{l}")[r])

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, {self.dim}), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (N, {self.dim}), got {tuple(x.shape)}")
        x = x.to(self.orderings.device)
        if self.output == "gaussian_mixture":
            if not x.is_floating_point():
                raise TypeError(f"x must be a floating-point tensor for gaussian_mixture outputs, got {x.dtype}")
            return x
        return _as_categories(x, 2 if self.output == "bernoulli" else self.num_categories)

    def encode(self, x):
        """The network input for data x (N, D): x itself, or one-hot codes (N, D * K) for categorical data."""
        if self.output == "categorical":
            return F.one_hot(x, self.num_categories).flatten(1).float()  # (N, D * K)
        return x.float()  # (N, D)

    def forward(self, inputs, ordering=0):
        """Parameters of every conditional p(x_d | x_{<d}) in ``ordering``, from network inputs
        ``encode(x)`` (N, D * E) -> (N, D, P). Output d depends only on inputs of dimensions before d."""
        self._use_ordering(ordering)
        return self.network(inputs).view(len(inputs), self.dim, self.params_per_dim)

    def _split_mixture(self, params):
        logits, means, log_stds = params.split(self.num_components, dim=-1)  # each (..., C)
        return logits, means, log_stds.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def _conditional_log_prob(self, params, x):
        """log p(x_d | x_{<d}) for every dimension, params (N, D, P) and x (N, D) -> (N, D)."""
        if self.output == "bernoulli":
            return -F.binary_cross_entropy_with_logits(params[..., 0], x.float(), reduction="none")
        if self.output == "categorical":
            return _categorical_log_prob(params, x)
        logits, means, log_stds = self._split_mixture(params)
        mixture = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(logits=logits, validate_args=False),
            torch.distributions.Normal(means, log_stds.exp(), validate_args=False), validate_args=False)
        return mixture.log_prob(x)

    def log_prob(self, x, ordering=None):
        """Exact log p(x) in nats for x (N, D) -> (N,).

        One network pass per ordering: log p_r(x) = sum_d log p_r(x_d | x_{<d}). With ``ordering=None`` the
        ensemble log (1/R) sum_r p_r(x) (a mixture, hence normalized); with an int, that ordering alone.
        """
        x = self._check_data(x)
        orderings = range(self.num_orderings) if ordering is None else [ordering]
        inputs = self.encode(x)  # (N, D * E)
        log_probs = torch.stack([self._conditional_log_prob(self(inputs, r), x).sum(1) for r in orderings])  # (R, N)
        return torch.logsumexp(log_probs, dim=0) - math.log(len(orderings))

    def loss(self, x):
        """Negative log-likelihood in nats per example. In train mode with several orderings, one random
        ordering r per batch: E_r[-log p_r(x)] >= -log E_r[p_r(x)] (connectivity-agnostic training)."""
        if self.training and self.num_orderings > 1:
            return -self.log_prob(x, ordering=int(torch.randint(self.num_orderings, ()))).mean()
        return -self.log_prob(x).mean()

    def _sample_conditional(self, params, generator):
        """One draw from p(x_d | x_{<d}) for params (n, P) -> (n,)."""
        if self.output == "bernoulli":
            uniform = torch.rand(len(params), generator=generator).to(params.device)
            return (uniform < torch.sigmoid(params[:, 0])).float()
        if self.output == "categorical":
            return _sample_categorical(params, generator).float()
        logits, means, log_stds = self._split_mixture(params)
        component = _sample_categorical(logits, generator)[:, None]  # (n, 1)
        noise = torch.randn(len(params), generator=generator).to(params.device)
        return means.gather(1, component)[:, 0] + log_stds.gather(1, component)[:, 0].exp() * noise

    @torch.no_grad()
    def sample(self, n, generator=None):
        """Draw n samples (n, D) float32, D network passes: x_{o_1}, then x_{o_2} given it, and so on.

        With several orderings each sample first picks its ordering uniformly (the ensemble is a mixture).
        """
        _check_count(n)
        _check_generator(generator)
        device = self.orderings.device
        x = torch.zeros(n, self.dim, device=device)
        which = torch.randint(self.num_orderings, (n,), generator=generator).to(device)  # (n,)
        for r in range(self.num_orderings):
            rows = which == r
            if not bool(rows.any()):
                continue
            x_r = x[rows]  # (n_r, D)
            if self.output != "gaussian_mixture":
                x_r = x_r.long()
            for d in self.orderings[r].tolist():  # pass i fills dimension o_i; later outputs are ignored
                params = self(self.encode(x_r), r)[:, d]  # (n_r, P)
                x_r[:, d] = self._sample_conditional(params, generator).to(x_r.dtype)
            x[rows] = x_r.float()
        return x


# ----------------------------------------------------------------------------------------------------
# PixelCNN


class MaskedConv2d(nn.Conv2d):
    """A 'same'-padded convolution whose kernel only sees pixels before the centre in raster order.

    Type ``"A"`` also hides the centre pixel (first layer: output (i, j) must not see x_{ij}); type ``"B"``
    keeps it (later layers: the feature at (i, j) already depends only on pixels before (i, j)).
    The kernel mask, for a k x k kernel with centre c = k // 2:

        rows above c: 1;   row c: 1 left of c, centre 1 for "B" and 0 for "A", 0 right of c;   rows below c: 0.
    """

    def __init__(self, in_channels, out_channels, kernel_size, mask_type="B", bias=True):
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        _check_positive_int(kernel_size, "kernel_size")
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (the kernel needs a centre), got {kernel_size}")
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=bias)
        self.mask_type = mask_type
        centre = kernel_size // 2
        mask = torch.ones(kernel_size, kernel_size)
        mask[centre, centre + (mask_type == "B"):] = 0
        mask[centre + 1:] = 0
        self.register_buffer("mask", mask[None, None])  # (1, 1, k, k)

    def forward(self, x):
        return self._conv_forward(x, self.weight * self.mask, self.bias)  # (N, out, H, W)


class _ResidualMaskedBlock(nn.Module):
    """h + conv1x1(relu(maskedconv_B(relu(h)))): keeps the autoregressive structure of h."""

    def __init__(self, channels, kernel_size, dropout):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), MaskedConv2d(channels, channels, kernel_size, "B"), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Conv2d(channels, channels, 1))

    def forward(self, h):
        return h + self.body(h)


class PixelCNN(nn.Module):
    """PixelCNN over images with ``num_categories`` intensity levels: p(x) = prod_{ij} p(x_ij | pixels before ij).

    The network sees each pixel as one real intensity in [-1, 1] (so neighbouring levels look alike, which
    generalizes far better from few images than one-hot codes), passes it through a mask-"A" convolution,
    residual blocks of mask-"B" convolutions and a 1x1 head giving K logits per pixel: the output is a
    categorical distribution over the K levels. Stacked 3x3 masked convolutions leave a blind spot
    above-right of each pixel; a first kernel of size 2 max(H, W) - 1 (the default for images up to 8 x 8)
    covers every earlier pixel directly, so small images have no blind spot.

    The scan order need not start at the top left: ``scan_order="right_to_left"`` reads each row from the
    right, ``"bottom_up"`` starts at the bottom row, ``"reversed"`` does both. It is implemented by flipping
    the image, log p(x) = log p_raster(flip(x)), so the network itself always works in raster order.
    Models with different scan orders make different errors, and their uniform mixture
    (:class:`OrderingEnsemble`) is usually better than each of them.

    Args:
        image_shape: (H, W).
        num_categories: K intensity levels (2 for binary images, 17 for the digits).
        hidden_channels: channels of the hidden feature maps.
        num_blocks: number of residual blocks.
        kernel_size: kernel of the blocks (odd).
        first_kernel_size: kernel of the mask-A layer (odd); default min(2 max(H, W) - 1, 15).
        dropout: dropout inside the blocks (a regularizer for small data sets).
        scan_order: one of ``SCAN_ORDERS``.
    """

    #: scan order -> image axes of (N, H, W) flipped to bring it to raster order
    SCAN_ORDERS = {"raster": (), "right_to_left": (2,), "bottom_up": (1,), "reversed": (1, 2)}

    def __init__(self, image_shape=(8, 8), num_categories=17, hidden_channels=64, num_blocks=4, kernel_size=3,
                 first_kernel_size=None, dropout=0.0, scan_order="raster"):
        super().__init__()
        if scan_order not in self.SCAN_ORDERS:
            raise ValueError(f"scan_order must be one of {', '.join(self.SCAN_ORDERS)}, got {scan_order!r}")
        self.scan_order = scan_order
        image_shape = _check_sizes(image_shape, "image_shape")
        if len(image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape}")
        _check_positive_int(num_categories, "num_categories")
        if first_kernel_size is None:
            first_kernel_size = min(2 * max(image_shape) - 1, 15)
        self.image_shape, self.num_categories = image_shape, num_categories
        self.num_pixels = image_shape[0] * image_shape[1]
        self.network = nn.Sequential(
            MaskedConv2d(1, hidden_channels, first_kernel_size, "A"),
            *[_ResidualMaskedBlock(hidden_channels, kernel_size, dropout) for _ in range(num_blocks)],
            nn.ReLU(), nn.Conv2d(hidden_channels, num_categories, 1))

    def _check_images(self, x):
        height, width = self.image_shape
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of images (N, {self.num_pixels}), got {type(x).__name__}")
        if x.dim() == 2 and x.shape[1] == self.num_pixels:
            x = x.view(len(x), height, width)
        if x.dim() != 3 or tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"x must be images of shape (N, {self.num_pixels}) or (N, {height}, {width}), "
                             f"got {tuple(x.shape)}")
        return _as_categories(x.to(self.network[0].weight.device), self.num_categories)

    def _to_raster(self, x):
        """Flip images (N, H, W) so that the scan order becomes raster order (a flip is its own inverse)."""
        flipped_axes = self.SCAN_ORDERS[self.scan_order]
        return x.flip(flipped_axes) if flipped_axes else x

    def encode(self, x):
        """Network input for images (N, H, W) of levels 0..K-1: intensities 2 x / (K - 1) - 1, shape (N, 1, H, W)."""
        return (2.0 * x.float() / max(self.num_categories - 1, 1) - 1.0).unsqueeze(1)

    def forward(self, inputs):
        """Logits of every conditional p(x_ij | pixels before ij) from ``encode(x)``: (N, 1, H, W) -> (N, H, W, K)."""
        return self.network(inputs).permute(0, 2, 3, 1)

    def log_prob(self, x):
        """Exact log p(x) in nats, images (N, H*W) or (N, H, W) of integers 0..K-1 -> (N,)."""
        x = self._to_raster(self._check_images(x))
        return _categorical_log_prob(self(self.encode(x)), x).flatten(1).sum(1)

    def loss(self, x):
        """Negative log-likelihood in nats per image."""
        return -self.log_prob(x).mean()

    @torch.no_grad()
    def sample(self, n, generator=None, temperature=1.0):
        """Draw n images (n, H*W) float32 with integer levels, pixel by pixel in scan order (H*W passes)."""
        _check_count(n)
        _check_generator(generator)
        _check_temperature(temperature)
        x = torch.zeros(n, *self.image_shape, dtype=torch.long, device=self.network[0].weight.device)
        for i in range(self.image_shape[0]):
            for j in range(self.image_shape[1]):
                x[:, i, j] = _sample_categorical(self(self.encode(x))[:, i, j], generator, temperature)
        return self._to_raster(x).flatten(1).float()


class OrderingEnsemble(nn.Module):
    """The uniform mixture p(x) = (1/K) sum_k p_k(x) of K density models, e.g. one architecture in K orderings.

    Each member is normalized, so the mixture is too, and its log-likelihood stays exact:
    log p(x) = logsumexp_k log p_k(x) - log K. Members can be trained on their own (``fit`` each one) and
    combined afterwards, or together through ``loss``; sampling picks a member uniformly for each draw.
    Averaging models that factorize the joint in different orders is MADE's "order-agnostic ensemble"
    (Germain et al. 2015) and helps most where each ordering alone overfits.

    Args:
        models: the members, each with ``log_prob(x) -> (N,)`` and ``sample(n, generator=...)``.
    """

    def __init__(self, models):
        super().__init__()
        models = list(models)
        if not models or not all(callable(getattr(m, "log_prob", None)) for m in models):
            raise TypeError("models must be a non-empty list of density models with log_prob and sample")
        self.members = nn.ModuleList(models)

    def log_prob(self, x):
        """log (1/K) sum_k p_k(x), shape (N,)."""
        log_probs = torch.stack([member.log_prob(x) for member in self.members])  # (K, N)
        return torch.logsumexp(log_probs, dim=0) - math.log(len(self.members))

    def loss(self, x):
        """Negative log-likelihood of the mixture in nats per example."""
        return -self.log_prob(x).mean()

    @torch.no_grad()
    def sample(self, n, generator=None, **kwargs):
        """n draws: member k ~ Uniform{1..K}, then x ~ p_k (keyword arguments go to the members' ``sample``)."""
        _check_count(n)
        _check_generator(generator)
        which = torch.randint(len(self.members), (n,), generator=generator)  # (n,)
        parts = [member.sample(int((which == k).sum()), generator=generator, **kwargs)
                 for k, member in enumerate(self.members)]
        samples = torch.cat(parts)
        return samples[torch.argsort(which, stable=True).argsort().to(samples.device)]  # back to draw order


# ----------------------------------------------------------------------------------------------------
# Sequence models: shared interface (a start token, then x_0..x_{T-2} predict x_0..x_{T-1}).


class _SequenceModel(nn.Module):
    """Base for categorical sequence models; subclasses define ``_logits_from_inputs(inputs (N, T)) -> (N, T, V)``
    where inputs = [start, x_0, ..., x_{T-2}], ``vocab_size`` and ``max_length`` (None = any length)."""

    def _device(self):
        return next(self.parameters()).device

    def _check_sequences(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, T), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] == 0:
            raise ValueError(f"x must be sequences of shape (N, T) with T >= 1, got {tuple(x.shape)}")
        if self.max_length is not None and x.shape[1] > self.max_length:
            raise ValueError(f"sequences must have length T <= {self.max_length}, got T = {x.shape[1]}")
        return _as_categories(x.to(self._device()), self.vocab_size)

    def _shift_right(self, x):
        start = torch.full((len(x), 1), self.vocab_size, dtype=torch.long, device=x.device)  # the start token
        return torch.cat([start, x[:, :-1]], dim=1)  # (N, T)

    def forward(self, x):
        """Logits of p(x_t | x_{<t}) for every position: (N, T) long -> (N, T, V)."""
        return self._logits_from_inputs(self._shift_right(x))

    def log_prob(self, x):
        """Exact log p(x) = sum_t log p(x_t | x_{<t}) in nats, sequences (N, T) of ints 0..V-1 -> (N,)."""
        x = self._check_sequences(x)
        return _categorical_log_prob(self(x), x).sum(1)

    def loss(self, x):
        """Negative log-likelihood in nats per sequence (divide by T ln 2 for bits per token)."""
        return -self.log_prob(x).mean()

    def _context(self, inputs):
        """The part of the inputs the next prediction needs (all of it; WaveNet crops to its receptive field)."""
        return inputs

    @torch.no_grad()
    def sample(self, n, length, *, prompt=None, temperature=1.0, generator=None):
        """Draw n sequences (n, length) long, one token per network pass: x_t ~ p(x_t | x_{<t})^(1/temperature).

        Args:
            n: number of sequences.
            length: total length, prompt included.
            prompt: optional long tensor (P,) or (n, P) of tokens the sequences start with.
            temperature: divides the logits; < 1 sharpens, > 1 flattens (1 samples the model).
            generator: a CPU ``torch.Generator`` for reproducible draws.
        """
        _check_count(n)
        _check_positive_int(length, "length")
        _check_temperature(temperature)
        _check_generator(generator)
        if self.max_length is not None and length > self.max_length:
            raise ValueError(f"length must be <= {self.max_length} (the model's block size), got {length}")
        x = torch.zeros(n, 0, dtype=torch.long, device=self._device())
        if prompt is not None:
            if not isinstance(prompt, torch.Tensor):
                raise TypeError(f"prompt must be a long tensor of shape (P,) or (n, P), got {type(prompt).__name__}")
            prompt = self._check_sequences(prompt.expand(n, -1) if prompt.dim() == 1 else prompt)
            if len(prompt) != n or prompt.shape[1] > length:
                raise ValueError(f"prompt must have shape (P,) or ({n}, P) with P <= length = {length}, "
                                 f"got {tuple(prompt.shape)}")
            x = prompt
        inputs = self._shift_right(torch.cat([x, x.new_zeros(n, 1)], dim=1))  # (n, t + 1): start, x_0..x_{t-1}
        for _ in range(x.shape[1], length):
            next_token = _sample_categorical(self._logits_from_inputs(self._context(inputs))[:, -1],
                                             generator, temperature)  # (n,)
            inputs = torch.cat([inputs, next_token[:, None]], dim=1)
        return inputs[:, 1:]


class _TransformerBlock(nn.Module):
    """Pre-norm block: h + attention(LN(h)) with a causal mask, then h + MLP(LN(h))."""

    def __init__(self, embed_dim, num_heads, dropout):
        super().__init__()
        self.num_heads, self.dropout = num_heads, dropout
        self.norm_attention = nn.LayerNorm(embed_dim)
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.attention_out = nn.Linear(embed_dim, embed_dim)
        self.norm_mlp = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(nn.Linear(embed_dim, 4 * embed_dim), nn.GELU(), nn.Linear(4 * embed_dim, embed_dim),
                                 nn.Dropout(dropout))

    def forward(self, h):
        batch, length, embed_dim = h.shape
        q, k, v = self.qkv(self.norm_attention(h)).split(embed_dim, dim=2)  # each (N, T, E)
        q, k, v = (t.view(batch, length, self.num_heads, -1).transpose(1, 2) for t in (q, k, v))  # (N, h, T, E/h)
        # softmax(q k^T / sqrt(d) + causal mask) v: position t attends to positions <= t only
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                  dropout_p=self.dropout if self.training else 0.0)
        h = h + F.dropout(self.attention_out(attended.transpose(1, 2).reshape(batch, length, embed_dim)),
                          self.dropout, self.training)
        return h + self.mlp(self.norm_mlp(h))  # (N, T, E)


class CausalTransformer(_SequenceModel):
    """A character- (or token-) level causal transformer: p(x) = prod_t p(x_t | x_{<t}), GPT style.

    Tokens plus learned position embeddings go through pre-norm blocks of causal multi-head
    self-attention and MLPs; a linear head gives V logits per position.

    Args:
        vocab_size: V, tokens are 0..V-1 (token V is the internal start token).
        block_size: maximal sequence length T.
        embed_dim, num_heads, num_layers: width, attention heads (dividing embed_dim) and depth.
        dropout: dropout on attention weights and residual branches.
    """

    def __init__(self, vocab_size, block_size, embed_dim=128, num_heads=4, num_layers=4, dropout=0.1):
        super().__init__()
        for name, value in [("vocab_size", vocab_size), ("block_size", block_size), ("embed_dim", embed_dim),
                            ("num_heads", num_heads), ("num_layers", num_layers)]:
            _check_positive_int(value, name)
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim must be divisible by num_heads, got {embed_dim} and {num_heads}")
        self.vocab_size, self.block_size, self.max_length = vocab_size, block_size, block_size
        self.token_embedding = nn.Embedding(vocab_size + 1, embed_dim)
        self.position_embedding = nn.Embedding(block_size, embed_dim)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.Sequential(*[_TransformerBlock(embed_dim, num_heads, dropout) for _ in range(num_layers)])
        self.final_norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size)

    def _logits_from_inputs(self, inputs):
        positions = torch.arange(inputs.shape[1], device=inputs.device)
        h = self.embedding_dropout(self.token_embedding(inputs) + self.position_embedding(positions))  # (N, T, E)
        return self.head(self.final_norm(self.blocks(h)))  # (N, T, V)


class CausalConv1d(nn.Conv1d):
    """A 1-D convolution padded on the left only: output t sees inputs t - dilation (k - 1), ..., t."""

    def __init__(self, in_channels, out_channels, kernel_size, dilation=1):
        _check_positive_int(kernel_size, "kernel_size")
        _check_positive_int(dilation, "dilation")
        nn.Conv1d.__init__(self, in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_padding = dilation * (kernel_size - 1)

    def forward(self, x):
        return self._conv_forward(F.pad(x, (self.left_padding, 0)), self.weight, self.bias)  # (N, out, T)


class _GatedResidualLayer(nn.Module):
    """WaveNet layer: z = tanh(W_f * h) . sigmoid(W_g * h) (dilated causal), h + 1x1(z) and a skip 1x1(z)."""

    def __init__(self, channels, kernel_size, dilation):
        super().__init__()
        self.dilated = CausalConv1d(channels, 2 * channels, kernel_size, dilation)
        self.residual = nn.Conv1d(channels, channels, 1)
        self.skip = nn.Conv1d(channels, channels, 1)

    def forward(self, h):
        filter_part, gate = self.dilated(h).chunk(2, dim=1)  # each (N, C, T)
        z = torch.tanh(filter_part) * torch.sigmoid(gate)
        return h + self.residual(z), self.skip(z)


class WaveNet(_SequenceModel):
    """A WaveNet-style stack of gated dilated causal convolutions over quantized signals.

    p(x) = prod_t p(x_t | x_{t-R}, ..., x_{t-1}) with a categorical output over ``num_levels`` levels, where
    R = ``receptive_field`` = 1 + (kernel_size - 1) sum(dilations): the prediction of x_t sees exactly the
    R previous samples (the input is shifted right by one behind a start token).

    Args:
        num_levels: quantization levels K (see ``dgm_utils.data.quantize_signal``).
        channels: residual and skip channels.
        kernel_size: kernel of the dilated convolutions.
        dilations: one layer per entry; doubling dilations (1, 2, 4, ...) grow R exponentially with depth.
    """

    def __init__(self, num_levels=32, channels=32, kernel_size=2, dilations=(1, 2, 4, 8, 16, 32)):
        super().__init__()
        _check_positive_int(num_levels, "num_levels")
        _check_positive_int(channels, "channels")
        _check_positive_int(kernel_size, "kernel_size")
        self.dilations = _check_sizes(dilations, "dilations")
        self.vocab_size, self.num_levels, self.kernel_size, self.max_length = num_levels, num_levels, kernel_size, None
        self.embedding = nn.Embedding(num_levels + 1, channels)  # level embedding; index K is the start token
        self.layers = nn.ModuleList([_GatedResidualLayer(channels, kernel_size, d) for d in self.dilations])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(channels, channels, 1), nn.ReLU(),
                                  nn.Conv1d(channels, num_levels, 1))

    @property
    def receptive_field(self):
        """Number R of previous samples the prediction of x_t depends on: 1 + (k - 1) sum_l d_l."""
        return 1 + (self.kernel_size - 1) * sum(self.dilations)

    def _logits_from_inputs(self, inputs):
        h = self.embedding(inputs).transpose(1, 2)  # (N, C, T)
        skips = 0
        for layer in self.layers:
            h, skip = layer(h)
            skips = skips + skip
        return self.head(skips).transpose(1, 2)  # (N, T, K)

    def _context(self, inputs):
        return inputs[:, -self.receptive_field:]  # the last prediction depends on no earlier input
