"""The biased MMD^2: the pairs i == j kept (each k(x_i, x_i) = 1) and the within-sample sums divided by N^2 and M^2.
Its mean under the null hypothesis is about 2 / N, not 0; the permutation test's p-values stay valid (the statistic
is a valid test statistic), but the statistic it returns is not the unbiased one.

expect-zero: test_mmd2_values test_mmd2_unbiased test_permutation_alternative
"""
# %% mmd2
def mmd2(x, y, bandwidth):
    def kernel(a, b):
        return torch.exp(-((a[:, None, :] - b[None, :, :]) ** 2).sum(-1) / (2 * bandwidth**2))

    return kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean()
