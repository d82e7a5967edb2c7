"""Log standard deviations inside (log_std = log_var / 2), noise drawn with torch.randn of the full shape, a one-hot
categorical log-likelihood, and IWAE on all K N samples at once with a log-mean-exp shifted by hand.

expect-zero: none
"""
# %% reparameterize
def reparameterize(mean, log_var):
    log_std = log_var / 2
    return mean + torch.randn(*mean.shape, dtype=mean.dtype, device=mean.device) * log_std.exp()

# %% gaussian_kl
def gaussian_kl(mean, log_var):
    log_std = 0.5 * log_var
    return (0.5 * torch.exp(2 * log_std) + 0.5 * mean.square() - 0.5 - log_std).sum(dim=-1)

# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    one_hot = F.one_hot(x.long(), num_classes=logits.shape[-1]).to(logits.dtype)
    return (one_hot * F.log_softmax(logits, dim=-1)).sum(dim=(1, 2))

# %% elbo
def elbo(x, encoder, log_likelihood):
    mean, log_var = encoder(x)
    reconstruction = log_likelihood(x, reparameterize(mean, log_var))
    return reconstruction - gaussian_kl(mean, log_var)

# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    n = x.shape[0]
    log_std = 0.5 * log_var
    means, log_stds = mean.repeat(num_samples, 1), log_std.repeat(num_samples, 1)  # (K N, L), sample-major
    eps = torch.randn_like(means)
    z = means + eps * log_stds.exp()
    log_prior = -0.5 * (z**2).sum(1)
    log_q = (-0.5 * eps**2 - log_stds).sum(1)  # the 2 pi terms of p(z) and q(z | x) cancel
    log_weights = (log_likelihood(x.repeat(num_samples, 1), z) + log_prior - log_q).view(num_samples, n)
    top = log_weights.max(dim=0).values
    return top + torch.log(torch.exp(log_weights - top).mean(dim=0))
