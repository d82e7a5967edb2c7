"""The MAF inverse in a single pass: the shift and scale are computed once, from z, as if the layer were an IAF.

expect-zero: test_maf_inverse
"""
# %% maf_inverse
def maf_inverse(layer, z):
    with torch.no_grad():
        shift, log_scale = layer.shift_and_log_scale(z)
        x = z * torch.exp(log_scale) + shift
    return x, log_scale.sum(1)
