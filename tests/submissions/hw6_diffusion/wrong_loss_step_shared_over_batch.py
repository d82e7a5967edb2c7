"""The loss with one step t for the whole batch (unbiased over calls, but not one step per example).

expect-zero: test_loss_values
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = alpha_bars.shape[0]
    t = torch.randint(1, num_steps + 1, (1,), generator=generator).expand(x0.shape[0])
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).mean()
