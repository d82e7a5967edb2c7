"""One noise value per chain and step shared by all coordinates (shape (N, 1)): right variances, wrong correlations.

expect-zero: test_langevin_steps test_langevin_gaussian test_langevin_mixture
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach()
    for _ in range(num_steps):
        x = x.requires_grad_(True)
        (gradient,) = torch.autograd.grad(energy(x).sum(), x)
        noise = torch.randn(x.shape[0], 1, generator=generator, dtype=x.dtype)
        x = (x - step_size * gradient + math.sqrt(2 * step_size) * noise).detach()
    return x
