"""Generator and critic networks of the GANs of unit 4: MLPs for the 2-D toys, label-conditional ones for digits.

* :class:`MLPGenerator` z (N, L) -> x (N, D); :class:`MLPCritic` x (N, D) -> scores (N / pack,), with PacGAN's
  packing (Lin et al. 2018): the critic judges ``pack`` samples at once, concatenated into one input, so a
  generator that collapses onto a few modes is easier to tell apart;
* :class:`ConditionalGenerator` (z, y) -> x and :class:`ConditionalCritic` (x, y) -> scores, the class label y
  entering as a one-hot vector concatenated to the input (Mirza & Osindero 2014).

Critics output raw scores (logits for the BCE losses, unbounded scores for WGAN/f-GAN). The hidden layers use
LeakyReLU(0.2) in the critic (as in DCGAN) and ReLU in the generator.
"""

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_count, check_positive_int, check_tensor
from dgm_utils.nn import mlp

__all__ = ["MLPGenerator", "MLPCritic", "ConditionalGenerator", "ConditionalCritic", "LEAKY_SLOPE"]

#: negative slope of the critic's LeakyReLU (Radford et al. 2016)
LEAKY_SLOPE = 0.2
_OUTPUTS = ("linear", "tanh")


def _leaky_relu():
    return nn.LeakyReLU(LEAKY_SLOPE)


def _check_output(output):
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}, got {output!r}")
    return output


def _check_inputs(x, name, features):
    check_tensor(x, name, dims=(2,))
    if x.shape[1] != features:
        raise ValueError(f"{name} must have shape (N, {features}), got {tuple(x.shape)}")
    return x


def _check_labels(labels, num_classes, num_rows):
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        got = labels.dtype if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise TypeError(f"labels must be an int64 tensor of shape (N,), got {got}")
    if labels.shape != (num_rows,):
        raise ValueError(f"labels must have shape ({num_rows},) (one per row), got {tuple(labels.shape)}")
    if num_rows and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must lie in 0..{num_classes - 1}, got {int(labels.min())}..{int(labels.max())}")
    return labels


class MLPGenerator(nn.Module):
    """G(z) = MLP(z), z ~ N(0, I_L): ``layers`` hidden ReLU layers of width ``hidden``; (N, L) -> (N, D).

    ``output="tanh"`` squashes the outputs to (-1, 1) (for data rescaled to that range).
    """

    def __init__(self, latent_dim, data_dim, *, hidden=256, layers=3, output="linear"):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.data_dim = check_positive_int(data_dim, "data_dim")
        check_positive_int(hidden, "hidden")
        check_count(layers, "layers")
        self.output = _check_output(output)
        self.net = mlp(latent_dim, hidden, data_dim, layers, nn.ReLU)

    def forward(self, z):
        _check_inputs(z, "z", self.latent_dim)
        x = self.net(z)  # (N, D)
        return torch.tanh(x) if self.output == "tanh" else x


class MLPCritic(nn.Module):
    """C(x_1, ..., x_pack) = MLP([x_1, ..., x_pack]): one score per group of ``pack`` consecutive rows.

    The input (N, D) is reshaped to (N / pack, pack * D) (PacGAN, Lin et al. 2018); N must be a multiple of
    ``pack``. ``pack=1`` is the ordinary critic, (N, D) -> (N,).
    """

    def __init__(self, data_dim, *, hidden=256, layers=3, pack=1):
        super().__init__()
        self.data_dim = check_positive_int(data_dim, "data_dim")
        check_positive_int(hidden, "hidden")
        check_count(layers, "layers")
        self.pack = check_positive_int(pack, "pack")
        self.net = mlp(pack * data_dim, hidden, 1, layers, _leaky_relu)

    def forward(self, x):
        _check_inputs(x, "x", self.data_dim)
        if x.shape[0] % self.pack:
            raise ValueError(f"MLPCritic with pack={self.pack} needs a batch that is a multiple of {self.pack}, "
                             f"got {x.shape[0]} rows")
        packed = x.reshape(x.shape[0] // self.pack, self.pack * self.data_dim)  # (N / pack, pack * D)
        return self.net(packed)[:, 0]  # (N / pack,)


class ConditionalGenerator(nn.Module):
    """G(z, y) = MLP([z, onehot(y)]): (N, L), labels (N,) int64 in 0..C-1 -> (N, D).

    The default ``output="tanh"`` gives values in (-1, 1): :class:`dgm_utils.implicit.ConditionalGAN` with
    ``data_range=(0, 16)`` maps them to the digits' levels.
    """

    def __init__(self, latent_dim, num_classes, data_dim, *, hidden=256, layers=2, output="tanh"):
        super().__init__()
        self.latent_dim = check_positive_int(latent_dim, "latent_dim")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.data_dim = check_positive_int(data_dim, "data_dim")
        check_positive_int(hidden, "hidden")
        check_count(layers, "layers")
        self.output = _check_output(output)
        self.net = mlp(latent_dim + num_classes, hidden, data_dim, layers, nn.ReLU)

    def forward(self, z, labels):
        _check_inputs(z, "z", self.latent_dim)
        _check_labels(labels, self.num_classes, z.shape[0])
        one_hot = F.one_hot(labels, self.num_classes).to(z.dtype)  # (N, C)
        x = self.net(torch.cat([z, one_hot], dim=1))  # (N, D)
        return torch.tanh(x) if self.output == "tanh" else x


class ConditionalCritic(nn.Module):
    """C(x, y) = MLP([x, onehot(y)]): (N, D), labels (N,) int64 -> scores (N,)."""

    pack = 1

    def __init__(self, data_dim, num_classes, *, hidden=256, layers=2):
        super().__init__()
        self.data_dim = check_positive_int(data_dim, "data_dim")
        self.num_classes = check_positive_int(num_classes, "num_classes")
        check_positive_int(hidden, "hidden")
        check_count(layers, "layers")
        self.net = mlp(data_dim + num_classes, hidden, 1, layers, _leaky_relu)

    def forward(self, x, labels):
        _check_inputs(x, "x", self.data_dim)
        _check_labels(labels, self.num_classes, x.shape[0])
        one_hot = F.one_hot(labels, self.num_classes).to(x.dtype)  # (N, C)
        return self.net(torch.cat([x, one_hot], dim=1))[:, 0]  # (N,)
