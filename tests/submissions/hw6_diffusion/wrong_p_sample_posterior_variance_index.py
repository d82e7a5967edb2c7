"""p_sample with the posterior variance at the wrong index: alpha_bars[t - 1] (alpha_bar_t) read as alpha_bar_{t-1}, so
sigma_t^2 = (1 - alpha_bar_t) / (1 - alpha_bar_t) beta_t = beta_t, not beta~_t.

expect-zero: test_p_sample_step
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        beta, alpha_bar = betas[t - 1], alpha_bars[t - 1]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps) / (1 - beta).sqrt()
        if t == 1:
            return mean
        alpha_bar_prev = alpha_bars[t - 1]
        variance = (1 - alpha_bar_prev) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
