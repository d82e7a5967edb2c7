"""The DSM target with the wrong sign, +eps / sigma: the model learns minus the score.

expect-zero: test_dsm_values test_dsm_gradients test_train_ebm
"""
# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    noisy = x + sigma * noise
    return 0.5 * ((score(noisy) - noise / sigma) ** 2).sum(dim=1).mean()
