"""Small denoisers: eps_theta(x, s, y) for the 2-D toys (an MLP) and the 8x8 digits (a small convolutional net).

Both take x (N, *data_shape), continuous times s (N,) in [0, 1] and optional labels y (N,) in 0..C, C the null label
of classifier-free guidance, and return a tensor of the shape of x (a noise prediction for ``GaussianDiffusion``, a
velocity for ``FlowMatching``: the same network serves both). The time enters through the sinusoidal embedding of
``TIME_SCALE`` s (:func:`dgm_utils.nn.sinusoidal_embedding`, periods from 2 pi to 2 pi 10^4 for s in [0, 1000]) and
an MLP; a label through an ``nn.Embedding`` of C + 1 rows, added to the time features.
"""

import torch
from torch import nn

from dgm_utils._validation import check_int, check_positive_int, check_sizes, check_tensor
from dgm_utils.nn import mlp, sinusoidal_embedding, zero_last_linear

__all__ = ["TimeLabelEmbedding", "MLPDenoiser", "ConvDenoiser", "TIME_SCALE"]

#: The denoisers embed TIME_SCALE * s, so the steps s = t / T of a 1000-step process are 1 apart as in DDPM.
TIME_SCALE = 1000.0


class TimeLabelEmbedding(nn.Module):
    """Features (N, dim) of the time s (N,) and, for a conditional net, of the label y (N,) in 0..C (C = null).

        h = MLP(sinusoidal(TIME_SCALE s)) + Embedding(y)
    """

    def __init__(self, dim, num_classes=None):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        if dim % 2:
            raise ValueError(f"the time embedding's dim must be even, got {dim}")
        self.num_classes = check_int(num_classes, "num_classes", minimum=1, allow_none=True)
        self.time_mlp = mlp(dim, dim, dim, 1, nn.SiLU)
        self.label_embedding = nn.Embedding(num_classes + 1, dim) if num_classes is not None else None

    def forward(self, time, labels=None):
        check_tensor(time, "time", dims=(1,))
        h = self.time_mlp(sinusoidal_embedding(TIME_SCALE * time, self.dim))  # (N, dim)
        if labels is not None:
            if self.label_embedding is None:
                raise ValueError("this network is unconditional (num_classes=None): labels must be None")
            h = h + self.label_embedding(labels.long())
        return h


class MLPDenoiser(nn.Module):
    """out = MLP([x, h(s, y)]) for x (N, D): ``layers`` hidden SiLU layers of width ``hidden``, h the
    :class:`TimeLabelEmbedding`; the last layer starts at zero (the prediction starts at 0)."""

    def __init__(self, data_dim, *, hidden=128, layers=3, time_dim=32, num_classes=None):
        super().__init__()
        self.data_dim = check_positive_int(data_dim, "data_dim")
        self.embedding = TimeLabelEmbedding(time_dim, num_classes)
        self.net = zero_last_linear(mlp(data_dim + time_dim, check_positive_int(hidden, "hidden"), data_dim,
                                        check_positive_int(layers, "layers"), nn.SiLU))

    def forward(self, x, time, labels=None):
        check_tensor(x, "x", dims=(2,))
        if x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape (N, {self.data_dim}), got {tuple(x.shape)}")
        return self.net(torch.cat([x, self.embedding(time, labels)], dim=1))  # (N, D)


class _ResidualBlock(nn.Module):
    """h + conv(SiLU(conv(SiLU(h)) + proj(emb))): two 3x3 convolutions with the embedding added in between."""

    def __init__(self, channels, embedding_dim):
        super().__init__()
        self.first = nn.Conv2d(channels, channels, 3, padding=1)
        self.second = nn.Conv2d(channels, channels, 3, padding=1)
        self.projection = nn.Linear(embedding_dim, channels)
        self.norm = nn.GroupNorm(min(8, channels), channels)

    def forward(self, h, embedding):
        inner = self.first(torch.nn.functional.silu(self.norm(h)))  # (N, C, H, W)
        inner = inner + self.projection(embedding)[:, :, None, None]
        return h + self.second(torch.nn.functional.silu(inner))


class ConvDenoiser(nn.Module):
    """A small residual conv net for flattened images x (N, H W) (the digits: (N, 64)), at full resolution (8x8 needs
    no down-sampling: three 3x3 blocks see the whole image): conv in, ``num_blocks`` residual blocks with the time
    (and label) features added, conv out (starting at zero)."""

    def __init__(self, image_shape=(8, 8), *, channels=32, num_blocks=3, time_dim=32, num_classes=None):
        super().__init__()
        self.image_shape = check_sizes(image_shape, "image_shape")
        if len(self.image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape!r}")
        check_positive_int(channels, "channels")
        self.embedding = TimeLabelEmbedding(time_dim, num_classes)
        self.conv_in = nn.Conv2d(1, channels, 3, padding=1)
        self.blocks = nn.ModuleList(_ResidualBlock(channels, time_dim)
                                    for _ in range(check_positive_int(num_blocks, "num_blocks")))
        self.conv_out = nn.Conv2d(channels, 1, 3, padding=1)
        with torch.no_grad():
            self.conv_out.weight.zero_()
            self.conv_out.bias.zero_()

    def forward(self, x, time, labels=None):
        check_tensor(x, "x", dims=(2,))
        height, width = self.image_shape
        if x.shape[1] != height * width:
            raise ValueError(f"x must have shape (N, {height * width}) (flattened {height}x{width} images), got "
                             f"{tuple(x.shape)}")
        embedding = self.embedding(time, labels)  # (N, time_dim)
        h = self.conv_in(x.reshape(-1, 1, height, width))  # (N, C, H, W)
        for block in self.blocks:
            h = block(h, embedding)
        return self.conv_out(torch.nn.functional.silu(h)).reshape(x.shape)  # (N, H W)
