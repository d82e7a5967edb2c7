"""The kernel exp(-|a - b|^2 / h) instead of exp(-|a - b|^2 / (2 h^2)): the estimate is unbiased for another kernel,
so its mean under the null is still 0, but its values (and the exact MMD^2 under the alternative) are another
kernel's.

expect-zero: test_mmd2_values test_mmd2_unbiased test_permutation_alternative
"""
# %% mmd2
def mmd2(x, y, bandwidth):
    n, m = len(x), len(y)

    def kernel(a, b):
        return torch.exp(-((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=-1) / bandwidth)

    kernel_xx, kernel_yy, kernel_xy = kernel(x, x), kernel(y, y), kernel(x, y)
    within_x = (kernel_xx.sum() - kernel_xx.diagonal().sum()) / (n * (n - 1))
    within_y = (kernel_yy.sum() - kernel_yy.diagonal().sum()) / (m * (m - 1))
    return within_x + within_y - 2 * kernel_xy.mean()
