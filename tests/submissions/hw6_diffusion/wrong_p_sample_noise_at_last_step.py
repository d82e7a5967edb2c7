"""p_sample that adds noise at the last step: alpha_bar_{t-1} read as alpha_bars[t - 2] also at t = 1, where Python
gives alpha_bars[-1] = alpha_bar_T (not alpha_bar_0 = 1), so beta~_1 is about 1 instead of 0.

expect-zero: test_p_sample_step test_p_sample_mixture
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        beta, alpha_bar = betas[t - 1], alpha_bars[t - 1]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps) / (1 - beta).sqrt()
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
