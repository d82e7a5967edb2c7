"""The ELBO without its KL term: only the reconstruction log p(x | z), which exceeds log p(x) at the posterior.

expect-zero: test_elbo_linear_gaussian test_train_vae
"""
# %% elbo
def elbo(x, encoder, log_likelihood):
    mean, log_var = encoder(x)
    return log_likelihood(x, reparameterize(mean, log_var))
