"""The mean over coordinates instead of their sum: the loss is 1 / D of the objective (it trains the same with Adam).

expect-zero: test_dsm_values test_dsm_gradients
"""
# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    noisy = x + sigma * noise
    return 0.5 * ((score(noisy) + noise / sigma) ** 2).mean()
