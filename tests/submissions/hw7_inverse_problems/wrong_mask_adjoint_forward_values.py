"""The masking adjoint returns y at the first M pixels (the values not scattered back to the measured pixels).

expect-zero: test_mask_adjoint
"""
# %% masking
def mask_forward(x, mask):
    return x[:, mask]


def mask_adjoint(y, mask):
    x = y.new_zeros(y.shape[0], mask.shape[0])
    x[:, :y.shape[1]] = y
    return x
