"""One noise draw per row, shared by all latent dimensions: eps has shape (..., 1) and broadcasts over the last axis.
Every column has the right mean and standard deviation, so in reparameterize itself only the joint statistics (the
correlation between columns) show the bug; the IWAE bound and the training run (about 132 nats) suffer from it too.

expect-zero: test_reparameterize_samples test_iwae_tightens test_train_vae
"""
# %% reparameterize
def reparameterize(mean, log_var):
    eps = torch.randn(*mean.shape[:-1], 1, dtype=mean.dtype)
    return mean + torch.exp(0.5 * log_var) * eps
