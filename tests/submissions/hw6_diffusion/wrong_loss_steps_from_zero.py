"""The loss with 0-based steps t in 0..T-1 (alpha_bars[t - 1] at t = 0 is alpha_bar_T in Python).

expect-zero: test_loss_values test_loss_gradient
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = alpha_bars.shape[0]
    t = torch.randint(0, num_steps, (x0.shape[0],), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).mean()
