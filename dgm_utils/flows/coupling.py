"""Affine coupling layers (RealNVP, Dinh et al. 2017) and their masks (chapter 2, hw2)."""

import torch
from torch import nn

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.flows._common import bounded_log_scale, check_mask, make_conditioner
from dgm_utils.flows.base import Transform

__all__ = ["alternating_mask", "checkerboard_mask", "AffineCoupling"]


def alternating_mask(num_features, even=True):
    """Float 0/1 mask (D,) with 1 on the even dimensions (``even=True``) or on the odd ones.

    1 marks the dimensions a coupling layer keeps and conditions on; for D = 2: [1, 0] / [0, 1].
    """
    check_positive_int(num_features, "num_features")
    mask = (torch.arange(num_features) % 2 == 0).float()  # (D,)
    return mask if even else 1.0 - mask


def checkerboard_mask(height, width, even=True):
    """Float 0/1 mask (height * width,) of a flattened image, 1 where (row + column) is even (``even=True``)."""
    check_positive_int(height, "height")
    check_positive_int(width, "width")
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
        mask = check_mask(mask)
        self.num_features = len(mask)
        self.register_buffer("mask", mask)  # (D,)
        self.conditioner = make_conditioner(net_factory, self.num_features, 2 * self.num_features,
                                             hidden_features, num_hidden_layers)
        self.scale_factor = nn.Parameter(torch.ones(self.num_features))  # (D,)

    def shift_and_log_scale(self, x_kept):
        """(shift, log s), each (N, D), from the kept part ``x * mask`` (N, D)."""
        params = self.conditioner(x_kept)  # (N, 2D)
        if params.shape != (x_kept.shape[0], 2 * self.num_features):
            raise ValueError(f"the conditioner must output shape (N, {2 * self.num_features}), "
                             f"got {tuple(params.shape)}")
        shift, raw = params.chunk(2, dim=1)  # (N, D) each
        return shift, bounded_log_scale(raw, self.scale_factor)

    def forward(self, x):
        check_points(x, "x", dim=self.num_features)
        shift, log_scale = self.shift_and_log_scale(x * self.mask)
        changed = 1.0 - self.mask  # (D,)
        z = x * self.mask + changed * (x * torch.exp(log_scale) + shift)  # (N, D)
        return z, (changed * log_scale).sum(1)

    def inverse(self, z):
        check_points(z, "z", dim=self.num_features)
        shift, log_scale = self.shift_and_log_scale(z * self.mask)
        changed = 1.0 - self.mask
        x = z * self.mask + changed * (z - shift) * torch.exp(-log_scale)  # (N, D)
        return x, -(changed * log_scale).sum(1)


