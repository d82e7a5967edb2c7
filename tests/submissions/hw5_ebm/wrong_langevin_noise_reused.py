"""The noise drawn once, before the loop, and reused at every step: each chain converges to a fixed point.

expect-zero: test_langevin_steps test_langevin_gaussian test_langevin_mixture
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach()
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    for _ in range(num_steps):
        x = x.requires_grad_(True)
        (gradient,) = torch.autograd.grad(energy(x).sum(), x)
        x = (x - step_size * gradient + math.sqrt(2 * step_size) * noise).detach()
    return x
