"""The mask read the wrong way round: the pixels where it is False are measured (forward and adjoint).

expect-zero: test_mask_values test_mask_adjoint
"""
# %% masking
def mask_forward(x, mask):
    return x[:, ~mask]


def mask_adjoint(y, mask):
    x = y.new_zeros(y.shape[0], mask.shape[0])
    x[:, ~mask] = y
    return x
