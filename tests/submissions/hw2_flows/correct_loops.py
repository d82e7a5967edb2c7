"""Two conditioner networks (shift, log-scale) built with net_factory(D, D), log s = tanh(raw), every dimension handled
in a Python loop; MAF inverse one step per position without torch.no_grad (cloning x); masks starting with the odd
dimensions.

expect-zero: none
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.clone().float())
        size = len(mask)
        self.shift_net = net_factory(size, size)
        self.scale_net = net_factory(size, size)

    def _columns(self, inputs, direction):
        kept = inputs * self.mask
        shift = self.shift_net(kept)
        log_scale = torch.tanh(self.scale_net(kept))
        columns, log_det = [], torch.zeros(inputs.shape[0], dtype=inputs.dtype)
        for d in range(inputs.shape[1]):
            if self.mask[d] == 1:
                columns.append(inputs[:, d])
            elif direction == "forward":
                columns.append(inputs[:, d] * torch.exp(log_scale[:, d]) + shift[:, d])
                log_det = log_det + log_scale[:, d]
            else:
                columns.append((inputs[:, d] - shift[:, d]) / torch.exp(log_scale[:, d]))
                log_det = log_det - log_scale[:, d]
        return torch.stack(columns, dim=1), log_det

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        return self._columns(x, "forward")

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        return self._columns(z, "inverse")

# %% maf_inverse
def maf_inverse(layer, z):
    """Invert a MAF layer: x (N, D) with layer(x)[0] == z, dimension by dimension in layer.ordering, and
    log |det dx/dz| = sum_d log_scale_d(x) (N,)."""
    x = torch.zeros(z.shape, dtype=z.dtype)
    for position in range(len(layer.ordering)):
        d = int(layer.ordering[position])
        shift, log_scale = layer.shift_and_log_scale(x)
        x = x.clone()
        x[:, d] = z[:, d] * torch.exp(log_scale[:, d]) + shift[:, d]
    shift, log_scale = layer.shift_and_log_scale(x)
    total = torch.zeros(z.shape[0], dtype=z.dtype)
    for d in range(z.shape[1]):
        total = total + log_scale[:, d]
    return x.detach(), total.detach()

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    layers = nn.ModuleList()
    for k in range(num_layers):
        mask = torch.tensor([1.0 if (d + k) % 2 == 1 else 0.0 for d in range(num_features)])
        layers.append(AffineCoupling(mask, net_factory))
    return layers
