"""The noise is drawn with the shape of the last two axes only, torch.randn(mean.shape[-2:]): right for (N, L) inputs,
but for (K, N, L) inputs (K samples per example, as in the IWAE bound) every one of the K samples gets the same eps,
so the K importance weights are equal and the bound does not tighten with K.

expect-zero: test_reparameterize_samples test_iwae_tightens
"""
# %% reparameterize
def reparameterize(mean, log_var):
    eps = torch.randn(mean.shape[-2:], dtype=mean.dtype)
    return mean + torch.exp(0.5 * log_var) * eps
