"""The gradient of the squared residual, not of its norm (no normalization by |y - A x0_hat|).

expect-zero: test_guided_step_gradient test_guided_step_sampler test_reconstruction_consistency test_reconstruction_error
"""
# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    alpha_bar = torch.cumprod(1 - betas, 0)[t - 1].to(x_t.dtype)
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        eps = eps_model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x0_hat = (x - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        (gradient,) = torch.autograd.grad(((y - forward(x0_hat)) ** 2).sum(), x)
    return (ancestral_step(x.detach(), t, eps.detach(), betas, generator) - step_size * gradient).detach()
