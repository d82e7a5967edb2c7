"""The MAF inverse multiplies by the log-scale itself instead of its exponential: x_d = z_d * log_scale_d + shift_d.

expect-zero: test_maf_inverse
"""
# %% maf_inverse
def maf_inverse(layer, z):
    x = torch.zeros_like(z)
    with torch.no_grad():
        for d in layer.ordering.tolist():
            shift, log_scale = layer.shift_and_log_scale(x)
            x[:, d] = z[:, d] * log_scale[:, d] + shift[:, d]
        _, log_scale = layer.shift_and_log_scale(x)
    return x, log_scale.sum(1)
