"""The energy's gradient by .backward() and x.grad: right chains, but the energy's parameters accumulate .grad.

expect-zero: test_langevin_steps
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach().clone()
    for _ in range(num_steps):
        x.requires_grad_(True)
        energy(x).sum().backward()
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = (x - step_size * x.grad + math.sqrt(2 * step_size) * noise).detach()
    return x
