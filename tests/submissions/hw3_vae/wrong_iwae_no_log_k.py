"""IWAE as logsumexp of the log-weights without subtracting log K: the log of the sum, not of the mean, of the weights.

expect-zero: test_iwae_exact_posterior test_iwae_tightens
"""
# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    z = reparameterize(mean.expand(num_samples, -1, -1), log_var.expand(num_samples, -1, -1))  # (K, N, L)
    log_px_given_z = torch.stack([log_likelihood(x, z_k) for z_k in z])  # (K, N)
    log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)
    log_q = -0.5 * ((z - mean) ** 2 / torch.exp(log_var) + log_var + math.log(2 * math.pi)).sum(-1)
    return torch.logsumexp(log_px_given_z + log_prior - log_q, dim=0)
