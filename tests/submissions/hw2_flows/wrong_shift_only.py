"""Forgets the scale altogether: an additive (NICE) coupling z = x + t(m * x) with log-determinant 0. It is a valid
volume-preserving flow, but not an affine coupling, and it cannot change the volume the banana needs.

expect-zero: test_coupling_forward test_train_toy
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.net = net_factory(len(mask), 2 * len(mask))

    def _shift_and_log_scale(self, kept):
        shift, raw = self.net(kept).chunk(2, dim=1)
        free = 1 - self.mask
        return shift * free, torch.tanh(raw) * free

    def forward(self, x):
        shift, _ = self._shift_and_log_scale(x * self.mask)
        return x + shift, torch.zeros(x.shape[0], dtype=x.dtype)

    def inverse(self, z):
        shift, _ = self._shift_and_log_scale(z * self.mask)
        return z - shift, torch.zeros(z.shape[0], dtype=z.dtype)
