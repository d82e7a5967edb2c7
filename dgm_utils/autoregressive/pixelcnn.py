"""PixelCNN (van den Oord et al. 2016): masked convolutions over images (chapter 1, hw1), and the uniform
mixture of models in several orderings.

A mask-"A" convolution hides the centre pixel and everything after it in raster order, mask-"B" layers keep the
centre; stacked, output (i, j) sees only pixels before (i, j), so

    log p(x) = sum_{ij} log p(x_ij | pixels before ij),  each a categorical over ``num_levels`` intensities.
"""

import math

import torch
from torch import nn

from dgm_utils._validation import check_number, check_positive_int, check_sizes
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import as_levels, categorical_log_prob, sample_categorical

__all__ = ["MaskedConv2d", "PixelCNN", "OrderingEnsemble"]


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
        check_positive_int(kernel_size, "kernel_size")
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


class PixelCNN(ExactLikelihoodModel):
    """PixelCNN over images with ``num_levels`` intensity levels: p(x) = prod_{ij} p(x_ij | pixels before ij).

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
        num_levels: K intensity levels (2 for binary images, 17 for the digits).
        hidden_channels: channels of the hidden feature maps.
        num_blocks: number of residual blocks.
        kernel_size: kernel of the blocks (odd).
        first_kernel_size: kernel of the mask-A layer (odd); default min(2 max(H, W) - 1, 15).
        dropout: dropout inside the blocks (a regularizer for small data sets).
        scan_order: one of ``SCAN_ORDERS``.
    """

    #: scan order -> image axes of (N, H, W) flipped to bring it to raster order
    SCAN_ORDERS = {"raster": (), "right_to_left": (2,), "bottom_up": (1,), "reversed": (1, 2)}

    def __init__(self, image_shape=(8, 8), num_levels=17, hidden_channels=64, num_blocks=4, kernel_size=3,
                 first_kernel_size=None, dropout=0.0, scan_order="raster"):
        super().__init__()
        if scan_order not in self.SCAN_ORDERS:
            raise ValueError(f"scan_order must be one of {', '.join(self.SCAN_ORDERS)}, got {scan_order!r}")
        self.scan_order = scan_order
        image_shape = check_sizes(image_shape, "image_shape")
        if len(image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape}")
        check_positive_int(num_levels, "num_levels")
        if first_kernel_size is None:
            first_kernel_size = min(2 * max(image_shape) - 1, 15)
        self.image_shape, self.num_levels = image_shape, num_levels
        self.num_pixels = image_shape[0] * image_shape[1]
        self.network = nn.Sequential(
            MaskedConv2d(1, hidden_channels, first_kernel_size, "A"),
            *[_ResidualMaskedBlock(hidden_channels, kernel_size, dropout) for _ in range(num_blocks)],
            nn.ReLU(), nn.Conv2d(hidden_channels, num_levels, 1))

    def _check_images(self, x):
        height, width = self.image_shape
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of images (N, {self.num_pixels}), got {type(x).__name__}")
        if x.dim() == 2 and x.shape[1] == self.num_pixels:
            x = x.view(len(x), height, width)
        if x.dim() != 3 or tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"x must be images of shape (N, {self.num_pixels}) or (N, {height}, {width}), "
                             f"got {tuple(x.shape)}")
        return as_levels(x.to(self.network[0].weight.device), self.num_levels)

    def _to_raster(self, x):
        """Flip images (N, H, W) so that the scan order becomes raster order (a flip is its own inverse)."""
        flipped_axes = self.SCAN_ORDERS[self.scan_order]
        return x.flip(flipped_axes) if flipped_axes else x

    def encode(self, x):
        """Network input for images (N, H, W) of levels 0..K-1: intensities 2 x / (K - 1) - 1, shape (N, 1, H, W)."""
        return (2.0 * x.float() / max(self.num_levels - 1, 1) - 1.0).unsqueeze(1)

    def forward(self, inputs):
        """Logits of every conditional p(x_ij | pixels before ij) from ``encode(x)``: (N, 1, H, W) -> (N, H, W, K)."""
        return self.network(inputs).permute(0, 2, 3, 1)

    def log_prob(self, x, *, context=None):
        """Exact log p(x) in nats, images (N, H*W) or (N, H, W) of integers 0..K-1 -> (N,)."""
        self.check_context(context)
        x = self._to_raster(self._check_images(x))
        return categorical_log_prob(self(self.encode(x)), x).flatten(1).sum(1)

    @torch.no_grad()
    def _sample(self, n, *, generator, context, temperature=1.0):
        """Draw n images (n, H*W) float32 with integer levels, pixel by pixel in scan order (H*W passes);
        ``temperature`` divides the logits (< 1 sharpens, > 1 flattens)."""
        check_number(temperature, "temperature")
        x = torch.zeros(n, *self.image_shape, dtype=torch.long, device=self.network[0].weight.device)
        for i in range(self.image_shape[0]):
            for j in range(self.image_shape[1]):
                x[:, i, j] = sample_categorical(self(self.encode(x))[:, i, j], generator, temperature)
        return self._to_raster(x).flatten(1).float()


class OrderingEnsemble(ExactLikelihoodModel):
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

    def log_prob(self, x, *, context=None):
        """log (1/K) sum_k p_k(x), shape (N,)."""
        self.check_context(context)
        log_probs = torch.stack([member.log_prob(x) for member in self.members])  # (K, N)
        return torch.logsumexp(log_probs, dim=0) - math.log(len(self.members))

    @torch.no_grad()
    def _sample(self, n, *, generator, context, **kwargs):
        """n draws: member k ~ Uniform{1..K}, then x ~ p_k (keyword arguments go to the members' ``sample``)."""
        which = torch.randint(len(self.members), (n,), generator=generator)  # (n,)
        parts = [member.sample(int((which == k).sum()), generator=generator, **kwargs)
                 for k, member in enumerate(self.members)]
        samples = torch.cat(parts)
        return samples[torch.argsort(which, stable=True).argsort().to(samples.device)]  # back to draw order

