"""IWAE with the ELBO's analytic KL inside the weights: log-mean-exp of log p(x | z_k) - KL instead of
log p(x, z_k) - log q(z_k | x). The terms are not importance weights, so the bound is off even at the exact posterior.

expect-zero: test_iwae_exact_posterior test_iwae_tightens
"""
# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    terms = torch.stack([log_likelihood(x, reparameterize(mean, log_var)) - gaussian_kl(mean, log_var)
                         for _ in range(num_samples)])  # (K, N)
    return torch.logsumexp(terms, dim=0) - math.log(num_samples)
