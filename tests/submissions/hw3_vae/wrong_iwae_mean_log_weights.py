"""IWAE averaging the log-weights instead of taking the log of the average weight: an ELBO estimate for every K, so
it does not tighten (and at the exact posterior it still gives log p(x)).

expect-zero: test_iwae_tightens
"""
# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    std = torch.exp(0.5 * log_var)
    log_weights = []
    for _ in range(num_samples):
        z = mean + std * torch.randn_like(std)
        log_prior = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_q = torch.distributions.Normal(mean, std).log_prob(z).sum(-1)
        log_weights.append(log_likelihood(x, z) + log_prior - log_q)
    return torch.stack(log_weights).mean(0)
