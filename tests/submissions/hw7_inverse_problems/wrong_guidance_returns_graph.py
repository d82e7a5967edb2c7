"""The result still attached to the graph of x_t (requires gradients).

expect-zero: test_guided_step_gradient
"""
# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    alpha_bar = torch.cumprod(1 - betas, 0)[t - 1].to(x_t.dtype)
    with torch.enable_grad():
        x = x_t.detach().requires_grad_(True)
        eps = eps_model(x, torch.full((x.shape[0],), t, dtype=torch.long))
        x0_hat = (x - (1 - alpha_bar).sqrt() * eps) / alpha_bar.sqrt()
        (gradient,) = torch.autograd.grad((y - forward(x0_hat)).norm(dim=1).sum(), x, create_graph=True)
        return ancestral_step(x_t, t, eps, betas, generator) - step_size * gradient
