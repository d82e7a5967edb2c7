"""p_sample that pads the schedule in front (beta_0 = 0, alpha_bar_0 = 1, so that entry t is step t) but keeps the
index t - 1: it reads beta_{t-1} and alpha_bar_{t-1} for step t, one step late (and 0 / 0 at t = 1).

expect-zero: test_p_sample_step test_p_sample_mixture
"""
# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        padded_betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas.double()])  # entry t is beta_t
        alpha_bars = torch.cumprod(1 - padded_betas, dim=0)  # entry t is alpha_bar_t, alpha_bar_0 = 1
        beta, alpha_bar = padded_betas[t - 1], alpha_bars[t - 1]
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps) / (1 - beta).sqrt()
        if t == 1:
            return mean
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
