"""The log-scale is masked in the map but not in the log-determinant: log s of the kept dimensions (which are copied
unchanged) is summed too. The density is then off (it does not integrate to one), but training still fits the banana:
the extra term only pushes the kept dimensions' log-scales to their bound, and the map itself is right.

expect-zero: test_coupling_log_det test_flow_normalized
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.net = net_factory(len(mask), 2 * len(mask))

    def forward(self, x):
        shift, raw = self.net(x * self.mask).chunk(2, dim=1)
        log_scale = torch.tanh(raw)
        z = self.mask * x + (1 - self.mask) * (x * torch.exp(log_scale) + shift)
        return z, log_scale.sum(1)

    def inverse(self, z):
        shift, raw = self.net(z * self.mask).chunk(2, dim=1)
        log_scale = torch.tanh(raw)
        x = self.mask * z + (1 - self.mask) * (z - shift) * torch.exp(-log_scale)
        return x, -log_scale.sum(1)
