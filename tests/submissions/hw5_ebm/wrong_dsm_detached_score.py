"""The score's output detached: the right value, but no gradient reaches the score's parameters.

expect-zero: test_dsm_gradients test_train_ebm
"""
# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    noisy = x + sigma * noise
    return 0.5 * ((score(noisy).detach() + noise / sigma) ** 2).sum(dim=1).mean()
