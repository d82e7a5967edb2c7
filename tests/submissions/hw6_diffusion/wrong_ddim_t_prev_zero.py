"""DDIM that reads alpha_bar_{t'} as alpha_bars[t_prev - 1] also for t_prev = 0, where Python gives
alpha_bar_T instead of alpha_bar_0 = 1: the last step does not return x^_0.

expect-zero: test_ddim_deterministic test_ddim_ode
"""
# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    with torch.no_grad():
        alpha_bars = alpha_bars.double()
        alpha_bar = alpha_bars[t - 1]
        alpha_bar_prev = alpha_bars[t_prev - 1]
        x0 = (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)).sqrt()
        x_prev = alpha_bar_prev.sqrt() * x0 + (1 - alpha_bar_prev - sigma ** 2).clamp(min=0).sqrt() * eps
        if eta > 0:
            x_prev = x_prev + sigma * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
        return x_prev
