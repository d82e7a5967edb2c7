"""iwae_bound runs under torch.inference_mode() (only its value is used), one sample at a time with a running
torch.logaddexp; the noise is drawn in place into a new tensor (torch.empty_like(mean).normal_()); the KL is written
with expm1; the categorical log-likelihood with F.cross_entropy.

expect-zero: none
"""
# %% reparameterize
def reparameterize(mean, log_var):
    eps = torch.empty_like(mean).normal_()
    return mean + eps * torch.exp(log_var * 0.5)

# %% gaussian_kl
def gaussian_kl(mean, log_var):
    return 0.5 * (torch.expm1(log_var) - log_var + mean * mean).sum(-1)

# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    n, d, c = logits.shape
    return -F.cross_entropy(logits.reshape(n * d, c), x.reshape(n * d).long(), reduction="none").view(n, d).sum(1)

# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    with torch.inference_mode():
        mean, log_var = encoder(x)
        std = torch.exp(0.5 * log_var)
        total = None
        for _ in range(num_samples):
            eps = torch.randn_like(mean)
            z = mean + std * eps
            log_w = (log_likelihood(x, z) - 0.5 * (z * z).sum(-1) + 0.5 * (eps * eps).sum(-1)
                     + (0.5 * log_var).sum(-1))  # the 2 pi terms of p(z) and q cancel
            total = log_w if total is None else torch.logaddexp(total, log_w)
        return total - math.log(num_samples)
