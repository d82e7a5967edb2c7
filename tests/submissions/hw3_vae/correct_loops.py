"""Loops: the KL one latent dimension at a time, the categorical log-likelihood one level at a time with a hand-written
log-sum-exp, the standard deviation as sqrt(exp(log_var)), IWAE one sample at a time with a running log-sum-exp, and a
Monte Carlo KL (log q - log p at the drawn z) in the ELBO instead of the closed form.

expect-zero: none
"""
# %% reparameterize
def reparameterize(mean, log_var):
    std = torch.sqrt(torch.exp(log_var))
    noise = torch.randn(mean.shape, dtype=mean.dtype)
    return mean + std * noise

# %% gaussian_kl
def gaussian_kl(mean, log_var):
    total = torch.zeros(mean.shape[:-1], dtype=mean.dtype)
    for l in range(mean.shape[-1]):
        total = total + 0.5 * (log_var[..., l].exp() + mean[..., l] * mean[..., l] - 1.0 - log_var[..., l])
    return total

# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    num_levels = logits.shape[-1]
    top = logits.max(dim=-1).values  # (N, D)
    total_exp = torch.zeros_like(top)
    picked = torch.zeros_like(top)
    for c in range(num_levels):  # one level at a time: the log-sum-exp by hand, and the logit of the observed level
        total_exp = total_exp + torch.exp(logits[..., c] - top)
        picked = picked + torch.where(x.long() == c, logits[..., c], torch.zeros_like(top))
    return (picked - top - torch.log(total_exp)).sum(dim=-1)

# %% elbo
def log_normal(z, mean, log_var):
    return (-0.5 * (math.log(2 * math.pi) + log_var + (z - mean) ** 2 / torch.exp(log_var))).sum(-1)


def elbo(x, encoder, log_likelihood):
    mean, log_var = encoder(x)
    z = reparameterize(mean, log_var)
    # a Monte Carlo estimate of the KL at the drawn z: unbiased too
    kl = log_normal(z, mean, log_var) - log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
    return log_likelihood(x, z) - kl

# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    running = None
    for _ in range(num_samples):
        z = reparameterize(mean, log_var)
        log_weight = (log_likelihood(x, z) + log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
                      - log_normal(z, mean, log_var))
        running = log_weight if running is None else torch.logaddexp(running, log_weight)
    return running - math.log(num_samples)
