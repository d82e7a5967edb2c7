"""The conditioner is fed the whole input x instead of x * mask: the transformed dimensions then depend on themselves
through the scale and shift, the Jacobian is no longer triangular, the log-determinant is wrong and z * mask no
longer determines the scale and shift, so the inverse fails too.

expect-zero: test_coupling_forward test_coupling_log_det test_coupling_inverse test_flow_normalized test_train_toy
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", mask.detach().clone().float())
        self.net = net_factory(len(mask), 2 * len(mask))

    def forward(self, x):
        shift, raw = self.net(x).chunk(2, dim=1)
        log_scale = torch.tanh(raw) * (1 - self.mask)
        return x * torch.exp(log_scale) + shift * (1 - self.mask), log_scale.sum(1)

    def inverse(self, z):
        shift, raw = self.net(z).chunk(2, dim=1)
        log_scale = torch.tanh(raw) * (1 - self.mask)
        return (z - shift * (1 - self.mask)) * torch.exp(-log_scale), -log_scale.sum(1)
