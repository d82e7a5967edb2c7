"""Permutes the points within x and within y, never re-pooling them: every "permuted" statistic is the observed one
up to rounding, so the p-values say nothing (about 1/2 or 1 whatever the data).

expect-zero: test_permutation_null test_permutation_alternative
"""
# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    observed = float(mmd2(x, y, bandwidth))
    exceed = 0
    for _ in range(num_permutations):
        x_permuted = x[torch.randperm(len(x), generator=generator)]
        y_permuted = y[torch.randperm(len(y), generator=generator)]
        exceed += float(mmd2(x_permuted, y_permuted, bandwidth)) >= observed
    return observed, (1 + exceed) / (1 + num_permutations)
