"""AffineCoupling keeps a reference to the mask it is given (register_buffer without a copy), and coupling_layers flips
one mask tensor in place between layers: every layer ends up holding the same tensor, so all keep the same dimensions
although coupling_layers gave them alternating masks.

expect-zero: test_coupling_forward test_coupling_layers test_train_toy
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask)  # no copy
        self.net = net_factory(len(mask), 2 * len(mask))

    def _shift_and_log_scale(self, inputs):
        shift, raw = self.net(inputs * self.mask).chunk(2, dim=1)
        free = 1 - self.mask
        return shift * free, torch.tanh(raw) * free

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        shift, log_scale = self._shift_and_log_scale(x)
        return x * torch.exp(log_scale) + shift, log_scale.sum(1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        shift, log_scale = self._shift_and_log_scale(z)
        return (z - shift) * torch.exp(-log_scale), -log_scale.sum(1)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    mask = (torch.arange(num_features) % 2 == 0).float()
    layers = nn.ModuleList()
    for _ in range(num_layers):
        layers.append(AffineCoupling(mask, net_factory))
        mask[:] = 1 - mask  # flipped in place: the layers built so far see it too
    return layers
