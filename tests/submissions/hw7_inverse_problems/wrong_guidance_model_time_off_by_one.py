"""The model called with the 0-based step t - 1.

expect-zero: test_guided_step_gradient test_guided_step_sampler
"""
# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    alpha_bar = torch.cumprod(1 - betas, 0)[t - 1].to(x_t.dtype)
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        eps = eps_model(x, torch.full((x.shape[0],), t - 1, dtype=torch.long))
        x0_hat = (x - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        (gradient,) = torch.autograd.grad((y - forward(x0_hat)).norm(dim=1).sum(), x)
    return (ancestral_step(x.detach(), t, eps.detach(), betas, generator) - step_size * gradient).detach()
