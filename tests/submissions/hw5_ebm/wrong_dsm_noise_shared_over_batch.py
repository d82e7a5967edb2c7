"""One noise vector for the whole batch (shape (1, D)): unbiased, but every example is noised the same way.

expect-zero: test_dsm_values test_dsm_gradients test_train_ebm
"""
# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(1, x.shape[1], generator=generator, dtype=x.dtype).expand_as(x)
    noisy = x + sigma * noise
    return 0.5 * ((score(noisy) + noise / sigma) ** 2).sum(dim=1).mean()
