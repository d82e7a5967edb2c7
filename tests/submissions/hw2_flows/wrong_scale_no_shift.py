"""An affine coupling with a scale but no shift: z_d = x_d s_d(m * x), log s = tanh(raw). The slopes depend on the kept
dimensions, so z does depend on them, but a transformed dimension at x_d = 0 always maps to 0.

expect-zero: test_coupling_forward test_train_toy
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.net = net_factory(len(mask), 2 * len(mask))

    def _log_scale(self, inputs):
        _, raw = self.net(inputs * self.mask).chunk(2, dim=1)
        return torch.tanh(raw) * (1 - self.mask)

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        log_scale = self._log_scale(x)
        return x * torch.exp(log_scale), log_scale.sum(1)

    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        log_scale = self._log_scale(z)
        return z * torch.exp(-log_scale), -log_scale.sum(1)
