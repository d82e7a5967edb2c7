"""The log-determinant with the wrong sign: forward returns -sum log s (and the inverse +sum log s, consistently), so
the flow's density does not integrate to one and training pushes the wrong way.

expect-zero: test_coupling_log_det test_flow_normalized test_train_toy
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
        shift, log_scale = self._shift_and_log_scale(x * self.mask)
        return x * torch.exp(log_scale) + shift, -log_scale.sum(1)

    def inverse(self, z):
        shift, log_scale = self._shift_and_log_scale(z * self.mask)
        return (z - shift) * torch.exp(-log_scale), log_scale.sum(1)
