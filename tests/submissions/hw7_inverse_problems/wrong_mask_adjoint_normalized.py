"""The masking adjoint divided by the number of measured pixels M: A^T y / M, not the transpose.

expect-zero: test_mask_adjoint
"""
# %% masking
def mask_forward(x, mask):
    return x[:, mask]


def mask_adjoint(y, mask):
    x = y.new_zeros(y.shape[0], mask.shape[0])
    x[:, mask] = y / mask.sum()
    return x
