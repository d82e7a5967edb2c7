"""The MAF inverse is right, but returns the forward layer's log-determinant, -sum log_scale, instead of +sum.

expect-zero: test_maf_inverse
"""
# %% maf_inverse
def maf_inverse(layer, z):
    x = torch.zeros_like(z)
    with torch.no_grad():
        for d in layer.ordering.tolist():
            shift, log_scale = layer.shift_and_log_scale(x)
            x[:, d] = z[:, d] * torch.exp(log_scale[:, d]) + shift[:, d]
        _, log_scale = layer.shift_and_log_scale(x)
    return x, -log_scale.sum(1)
