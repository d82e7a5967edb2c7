"""DDIM with eta used only as a switch: sigma = sqrt((1 - ab') / (1 - ab)) sqrt(1 - ab / ab') for every eta > 0
(right for eta = 1 only).

expect-zero: test_ddim_stochastic
"""
# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    with torch.no_grad():
        alpha_bars = alpha_bars.double()
        alpha_bar = alpha_bars[t - 1]
        alpha_bar_prev = alpha_bars[t_prev - 1] if t_prev > 0 else torch.ones((), dtype=torch.float64)
        x0 = (x_t - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        sigma = ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)).sqrt() if eta > 0 else 0.0
        x_prev = alpha_bar_prev.sqrt() * x0 + (1 - alpha_bar_prev - sigma ** 2).clamp(min=0).sqrt() * eps
        if eta > 0:
            x_prev = x_prev + sigma * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
        return x_prev
