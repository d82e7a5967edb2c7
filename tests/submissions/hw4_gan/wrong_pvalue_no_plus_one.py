"""The p-value as the plain fraction #{permuted >= observed} / P, without counting the observed statistic: it can be
0 and is not on the grid (1 + k) / (1 + P).

expect-zero: test_permutation_null test_permutation_alternative
"""
# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    observed = float(mmd2(x, y, bandwidth))
    pooled = torch.cat([x, y])
    n = len(x)
    exceed = 0
    for _ in range(num_permutations):
        permuted = pooled[torch.randperm(len(pooled), generator=generator)]
        exceed += float(mmd2(permuted[:n], permuted[n:], bandwidth)) >= observed
    return observed, exceed / num_permutations
