"""torch.distributions everywhere: Normal(...).rsample() for the draws, kl_divergence for the KL, Categorical for the
decoder, and Normal.log_prob with logsumexp for IWAE (all K samples drawn in one rsample call).

expect-zero: none
"""
# %% reparameterize
def reparameterize(mean, log_var):
    return torch.distributions.Normal(mean, torch.exp(0.5 * log_var)).rsample()

# %% gaussian_kl
def gaussian_kl(mean, log_var):
    q = torch.distributions.Normal(mean, torch.exp(0.5 * log_var))
    p = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    return torch.distributions.kl_divergence(q, p).sum(-1)

# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    return torch.distributions.Categorical(logits=logits).log_prob(x.long()).sum(-1)

# %% elbo
def elbo(x, encoder, log_likelihood):
    mean, log_var = encoder(x)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * log_var))
    z = q.rsample()
    return log_likelihood(x, z) - gaussian_kl(mean, log_var)

# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    q = torch.distributions.Normal(mean, torch.exp(0.5 * log_var))
    prior = torch.distributions.Normal(torch.zeros_like(mean), torch.ones_like(mean))
    z = q.rsample((num_samples,))  # (K, N, L)
    n, latent_dim = mean.shape
    log_px_given_z = log_likelihood(x.repeat(num_samples, 1), z.reshape(num_samples * n, latent_dim))
    log_weights = log_px_given_z.view(num_samples, n) + prior.log_prob(z).sum(-1) - q.log_prob(z).sum(-1)
    return torch.logsumexp(log_weights, 0) - math.log(num_samples)
