"""The loss with one noise vector for the whole batch (right value on average, gradient right for its draws).

expect-zero: test_loss_values
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = alpha_bars.shape[0]
    t = torch.randint(1, num_steps + 1, (x0.shape[0],), generator=generator)
    noise = torch.randn((1, x0.shape[1]), generator=generator, dtype=x0.dtype).expand(x0.shape[0], -1)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).mean()
