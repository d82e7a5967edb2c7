"""The loss summed over the coordinates and averaged over the rows (D times too large: not the mean squared error).

expect-zero: test_loss_values test_loss_gradient
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = alpha_bars.shape[0]
    t = torch.randint(1, num_steps + 1, (x0.shape[0],), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).sum(dim=1).mean()
