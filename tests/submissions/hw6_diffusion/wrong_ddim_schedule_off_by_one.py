"""DDIM that pads alpha_bars in front with alpha_bar_0 = 1 (so that entry t is step t) but keeps the index t - 1: it
reads alpha_bar_{t-1} for step t and alpha_bar_{t'-1} for t' (and 0 / 0 from t = 1).

expect-zero: test_ddim_deterministic test_ddim_ode test_ddim_stochastic
"""
# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    with torch.no_grad():
        padded = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bars.double()])  # entry t is alpha_bar_t
        alpha_bar = padded[t - 1]
        alpha_bar_prev = padded[t_prev - 1] if t_prev > 0 else padded[0]
        x0 = (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)).clamp(min=0).sqrt()
        x_prev = alpha_bar_prev.sqrt() * x0 + (1 - alpha_bar_prev - sigma ** 2).clamp(min=0).sqrt() * eps
        if eta > 0:
            x_prev = x_prev + sigma * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
        return x_prev
