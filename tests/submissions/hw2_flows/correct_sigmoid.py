"""The conditioner sees the kept dimensions only (net_factory(#kept, 2 #transformed)), the scale is 2 sigmoid(raw),
and the forward map is written the other way round, z = (x - t) / s (log-det -sum log s); MAF inverse by D passes of
the fixed-point update x <- z exp(log_scale(x)) + shift(x); masks from a parity test.

expect-zero: none
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).clone())
        self.kept = [d for d in range(len(mask)) if float(mask[d]) == 1.0]
        self.free = [d for d in range(len(mask)) if float(mask[d]) == 0.0]
        self.net = net_factory(len(self.kept), 2 * len(self.free))

    def _shift_and_log_scale(self, inputs):
        shift, raw = self.net(inputs[:, self.kept]).split(len(self.free), dim=1)
        return shift, math.log(2.0) + F.logsigmoid(raw)  # s = 2 sigmoid(raw), in (0, 2)

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        shift, log_scale = self._shift_and_log_scale(x)
        z = x.clone()
        z[:, self.free] = (x[:, self.free] - shift) * torch.exp(-log_scale)
        return z, -log_scale.sum(dim=1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        shift, log_scale = self._shift_and_log_scale(z)
        x = z.clone()
        x[:, self.free] = z[:, self.free] * torch.exp(log_scale) + shift
        return x, log_scale.sum(dim=1)

# %% maf_inverse
def maf_inverse(layer, z):
    """Invert a MAF layer: x (N, D) with layer(x)[0] == z, dimension by dimension in layer.ordering, and
    log |det dx/dz| = sum_d log_scale_d(x) (N,)."""
    with torch.no_grad():
        x = z.new_zeros(z.shape)
        for _ in range(z.shape[1]):  # after pass k the first k dimensions of the ordering are exact
            shift, log_scale = layer.shift_and_log_scale(x)
            x = z * log_scale.exp() + shift
        shift, log_scale = layer.shift_and_log_scale(x)
    return x, log_scale.sum(-1)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    parity = torch.arange(num_features) % 2
    return nn.ModuleList(AffineCoupling((parity == k % 2).float(), net_factory) for k in range(num_layers))
