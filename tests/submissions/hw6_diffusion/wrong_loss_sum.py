"""The loss summed over rows and coordinates instead of averaged (N D times too large).

expect-zero: test_loss_values test_loss_gradient
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = alpha_bars.shape[0]
    t = torch.randint(1, num_steps + 1, (x0.shape[0],), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).sum()
