"""p_sample that gives the model the 0-based step t - 1 (a time embedding off by one); the schedule is read right.

expect-zero: test_p_sample_step test_p_sample_mixture
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        beta, alpha_bar = betas[t - 1], alpha_bars[t - 1]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t - 1, dtype=torch.long))
        mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps) / (1 - beta).sqrt()
        if t == 1:
            return mean
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
