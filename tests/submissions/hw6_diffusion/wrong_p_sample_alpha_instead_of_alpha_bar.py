"""p_sample with alpha_t where alpha_bar_t belongs: the mean x_t - beta_t / sqrt(1 - alpha_t) eps,
i.e. sqrt(beta_t) eps.

expect-zero: test_p_sample_step test_p_sample_mixture
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        beta, alpha_bar = betas[t - 1], alpha_bars[t - 1]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - beta / (1 - (1 - beta)).sqrt() * eps) / (1 - beta).sqrt()
        if t == 1:
            return mean
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
