"""The gradient taken w.r.t. x_{t-1}: x0_hat of the ancestral step's result at step t - 1, differentiated there.

expect-zero: test_guided_step_gradient test_guided_step_sampler
"""
# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    alpha_bars = torch.cumprod(1 - betas, 0).to(x_t.dtype)
    with torch.no_grad():
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        x_prev = ancestral_step(x_t.detach(), t, eps, betas, generator)
    if t == 1:
        with torch.enable_grad():
            x = x_prev.detach().requires_grad_(True)
            (gradient,) = torch.autograd.grad((y - forward(x)).norm(dim=1).sum(), x)
        return (x_prev - step_size * gradient).detach()
    alpha_bar = alpha_bars[t - 2]
    with torch.enable_grad():
        x = x_prev.detach().requires_grad_(True)
        eps_prev = eps_model(x, torch.full((x.shape[0],), t - 1, dtype=torch.long))
        x0_hat = (x - (1 - alpha_bar).sqrt() * eps_prev) / alpha_bar.sqrt()
        (gradient,) = torch.autograd.grad((y - forward(x0_hat)).norm(dim=1).sum(), x)
    return (x_prev - step_size * gradient).detach()
