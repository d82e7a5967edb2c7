"""torch.distributions.transforms.AffineTransform for the transformed dimensions (its log_abs_det_jacobian for the
log-det), log s = 3 tanh(raw / 3) (a soft clamp of exp(raw)), torch.where to combine; MAF inverse with
AffineTransform too, scattering each step's dimension with a one-hot mask.

expect-zero: none
"""
# %% affine_coupling
from torch.distributions.transforms import AffineTransform


class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.conditioner = net_factory(mask.numel(), 2 * mask.numel())

    def _affine(self, inputs):
        out = self.conditioner(inputs * self.mask)
        num = self.mask.numel()
        shift, raw = out[:, :num], out[:, num:]
        return AffineTransform(loc=shift, scale=torch.exp(3.0 * torch.tanh(raw / 3.0)))

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        affine = self._affine(x)
        moved = affine(x)
        kept = self.mask.bool().expand_as(x)
        z = torch.where(kept, x, moved)
        log_det = torch.where(kept, torch.zeros_like(x), affine.log_abs_det_jacobian(x, moved))
        return z, log_det.sum(-1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        affine = self._affine(z)
        back = affine.inv(z)
        kept = self.mask.bool().expand_as(z)
        x = torch.where(kept, z, back)
        log_det = torch.where(kept, torch.zeros_like(z), affine.inv.log_abs_det_jacobian(z, back))
        return x, log_det.sum(-1)

# %% maf_inverse
def maf_inverse(layer, z):
    """Invert a MAF layer: x (N, D) with layer(x)[0] == z, dimension by dimension in layer.ordering, and
    log |det dx/dz| = sum_d log_scale_d(x) (N,)."""
    x = torch.zeros_like(z)
    with torch.no_grad():
        for d in layer.ordering:
            one_hot = F.one_hot(d, z.shape[1]).to(z.dtype)  # (D,)
            shift, log_scale = layer.shift_and_log_scale(x)
            step = AffineTransform(loc=shift, scale=log_scale.exp())(z)  # (N, D), right for dimension d only
            x = x * (1 - one_hot) + step * one_hot
        _, log_scale = layer.shift_and_log_scale(x)
    return x, log_scale.sum(1)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    mask = torch.zeros(num_features)
    mask[::2] = 1.0
    layers = []
    for _ in range(num_layers):
        layers.append(AffineCoupling(mask, net_factory))
        mask = 1.0 - mask
    return nn.ModuleList(layers)
