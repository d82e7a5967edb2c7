"""p_sample with one noise vector z for the whole batch (every chain gets the same z at a step).

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
        if t == 1:
            return mean
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bar) * beta
        return mean + variance.sqrt() * torch.randn((1, x_t.shape[1]), generator=generator, dtype=x_t.dtype)
