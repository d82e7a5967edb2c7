"""Bare exponential scale s = e^a with the network's outputs read in the other order (log-scale first, then shift), the
map written z = (x - t) e^-a; MAF inverse under torch.inference_mode(); coupling_layers flips one mask tensor in place
between layers (safe, because AffineCoupling stores a copy).

expect-zero: none
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.clone().float())
        self.net = net_factory(mask.numel(), 2 * mask.numel())

    def _log_scale_and_shift(self, inputs):
        log_scale, shift = self.net(inputs * self.mask).chunk(2, dim=1)
        free = 1 - self.mask
        return log_scale * free, shift * free

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        log_scale, shift = self._log_scale_and_shift(x)
        return (x - shift) * torch.exp(-log_scale), -log_scale.sum(dim=1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        log_scale, shift = self._log_scale_and_shift(z)
        return z * torch.exp(log_scale) + shift, log_scale.sum(dim=1)

# %% maf_inverse
def maf_inverse(layer, z):
    """Invert a MAF layer: x (N, D) with layer(x)[0] == z, dimension by dimension in layer.ordering, and
    log |det dx/dz| = sum_d log_scale_d(x) (N,)."""
    with torch.inference_mode():  # "no gradients are needed"
        x = torch.zeros_like(z)
        for d in layer.ordering.tolist():
            shift, log_scale = layer.shift_and_log_scale(x)
            x[:, d] = z[:, d] * log_scale[:, d].exp() + shift[:, d]
        _, log_scale = layer.shift_and_log_scale(x)
        return x, log_scale.sum(dim=1)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    mask = (torch.arange(num_features) % 2 == 0).float()
    layers = nn.ModuleList()
    for _ in range(num_layers):
        layers.append(AffineCoupling(mask, net_factory))
        mask.mul_(-1).add_(1)  # the same tensor, flipped in place for the next layer
    return layers
