"""p_sample that reads the schedule one step late (betas[t], alpha_bars[t], as if entry 0 were step 0): wrong moments
at every step, and an IndexError at t = T.

expect-zero: test_p_sample_step test_p_sample_mixture
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        i = t
        beta, alpha_bar = betas[i], alpha_bars[i]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps) / (1 - beta).sqrt()
        if t == 1:
            return mean
        variance = (1 - alpha_bars[i - 1]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
