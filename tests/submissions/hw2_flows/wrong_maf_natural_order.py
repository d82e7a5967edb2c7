"""The MAF inverse fills the dimensions 0, 1, ..., D-1 in their natural order, ignoring layer.ordering.

expect-zero: test_maf_inverse
"""
# %% maf_inverse
def maf_inverse(layer, z):
    x = torch.zeros_like(z)
    with torch.no_grad():
        for d in range(z.shape[1]):
            shift, log_scale = layer.shift_and_log_scale(x)
            x[:, d] = z[:, d] * torch.exp(log_scale[:, d]) + shift[:, d]
        _, log_scale = layer.shift_and_log_scale(x)
    return x, log_scale.sum(1)
