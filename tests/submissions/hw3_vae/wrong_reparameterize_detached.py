"""Sampling without reparameterization: z is drawn under torch.no_grad(), so no gradient reaches the encoder through z
(only through the KL); the samples themselves are right.

expect-zero: test_reparameterize_gradients test_elbo_linear_gaussian test_train_vae
"""
# %% reparameterize
def reparameterize(mean, log_var):
    with torch.no_grad():
        return mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
