"""The DSM target -(x~ - x) without the 1 / sigma^2: the regression target is -sigma eps instead of -eps / sigma, so
the model learns sigma^2 times the score (a far too flat density).

expect-zero: test_dsm_values test_dsm_gradients test_train_ebm
"""
# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    noisy = x + sigma * noise
    target = -(noisy - x)
    return 0.5 * ((score(noisy) - target) ** 2).sum(dim=1).mean()
