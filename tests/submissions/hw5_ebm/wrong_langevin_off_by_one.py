"""One step too few (range(1, num_steps)): stationary chains look right, but one step from x0 returns x0.

expect-zero: test_langevin_steps
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach()
    for _ in range(1, num_steps):
        x = x.requires_grad_(True)
        (gradient,) = torch.autograd.grad(energy(x).sum(), x)
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = (x - step_size * gradient + math.sqrt(2 * step_size) * noise).detach()
    return x
