"""The inverse directions run under torch.inference_mode() (no gradients are needed to sample): AffineCoupling.inverse
is decorated with it, and maf_inverse fills the dimensions inside it, writing into a tensor made there. Log-scale
3 tanh(raw / 3), two conditioner networks.

expect-zero: none
"""
# %% affine_coupling
class AffineCoupling(nn.Module):
    """Affine coupling layer: z = m * x + (1 - m) * (x * s(m * x) + t(m * x)), s > 0; forward = data -> noise."""

    def __init__(self, mask, net_factory):
        super().__init__()
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).detach().clone())
        size = len(self.mask)
        self.shift_net, self.scale_net = net_factory(size, size), net_factory(size, size)

    def _parts(self, inputs):
        kept, free = inputs * self.mask, 1 - self.mask
        return self.shift_net(kept) * free, 3 * torch.tanh(self.scale_net(kept) / 3) * free

    def forward(self, x):
        """Data (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        shift, log_scale = self._parts(x)
        return x * log_scale.exp() + shift, log_scale.sum(-1)

    @torch.inference_mode()
    def inverse(self, z):
        """Noise (N, D) -> (x (N, D), log |det dx/dz| (N,))."""
        shift, log_scale = self._parts(z)
        return (z - shift) * (-log_scale).exp(), -log_scale.sum(-1)

# %% maf_inverse
def maf_inverse(layer, z):
    """Invert a MAF layer: x (N, D) with layer(x)[0] == z, dimension by dimension in layer.ordering, and
    log |det dx/dz| = sum_d log_scale_d(x) (N,)."""
    with torch.inference_mode():
        x = z.new_zeros(z.shape)
        for step in range(z.shape[1]):
            d = int(layer.ordering[step])
            shift, log_scale = layer.shift_and_log_scale(x)
            x[:, d] = z[:, d] * torch.exp(log_scale[:, d]) + shift[:, d]
        log_det = layer.shift_and_log_scale(x)[1].sum(1)
    return x, log_det
