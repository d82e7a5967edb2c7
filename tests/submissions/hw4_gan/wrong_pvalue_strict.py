"""Counts only the permuted statistics strictly greater than the observed one: ties (all points equal, or discrete
data) give too small a p-value, e.g. 1 / (1 + P) for two identical samples.

expect-zero: test_permutation_alternative
"""
# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    observed = float(mmd2(x, y, bandwidth))
    pooled = torch.cat([x, y])
    n = len(x)
    exceed = 0
    for _ in range(num_permutations):
        permuted = pooled[torch.randperm(len(pooled), generator=generator)]
        exceed += float(mmd2(permuted[:n], permuted[n:], bandwidth)) > observed
    return observed, (1 + exceed) / (1 + num_permutations)
