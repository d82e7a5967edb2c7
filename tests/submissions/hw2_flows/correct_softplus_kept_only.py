"""Scale s = softplus(a) + 0.01 (positive, its range contains (1/2, 2), but s = 0.70 where a = 0, so the flow spreads
its mass wider than an e^a layer would); the conditioner sees the kept dimensions only (net_factory(#kept, 2 #free))
and the output is written in place into a copy of the input; coupling_layers builds the masks from a list.

expect-zero: none
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.kept = mask.detach().bool().clone()
        self.net = net_factory(int(self.kept.sum()), 2 * int((~self.kept).sum()))

    def _shift_and_log_scale(self, inputs):
        shift, raw = self.net(inputs[:, self.kept]).chunk(2, dim=1)
        return shift, torch.log(F.softplus(raw) + 0.01)

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        shift, log_scale = self._shift_and_log_scale(x)
        z = x.clone()
        z[:, ~self.kept] = x[:, ~self.kept] * log_scale.exp() + shift
        return z, log_scale.sum(1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        shift, log_scale = self._shift_and_log_scale(z)
        x = z.clone()
        x[:, ~self.kept] = (z[:, ~self.kept] - shift) / log_scale.exp()
        return x, -log_scale.sum(1)

# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    """nn.ModuleList of num_layers AffineCoupling layers whose masks alternate: [1, 0, 1, ...], [0, 1, 0, ...], ..."""
    masks = []
    for k in range(num_layers):
        masks.append(torch.tensor([1.0 if (d + k) % 2 == 0 else 0.0 for d in range(num_features)]))
    return nn.ModuleList([AffineCoupling(mask, net_factory) for mask in masks])
