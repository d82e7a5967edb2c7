"""IWAE bound computed literally as log(mean_k exp(log w_k)): right where the log-weights are a few nats (the
linear-Gaussian tests of -5 to -12 nats), but exp underflows to 0 at the -100s of nats the digits give, and the bound
is -inf (or +inf where the log-weights are large).

expect-zero: test_iwae_exact_posterior
"""
# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    log_2pi = math.log(2 * math.pi)
    log_weights = []
    for _ in range(num_samples):
        z = reparameterize(mean, log_var)
        log_prior = -0.5 * (z**2 + log_2pi).sum(-1)
        log_q = -0.5 * ((z - mean) ** 2 / log_var.exp() + log_var + log_2pi).sum(-1)
        log_weights.append(log_likelihood(x, z) + log_prior - log_q)
    return torch.log(torch.exp(torch.stack(log_weights)).mean(dim=0))
