"""Langevin in the convention of the diffusion literature, through the score: with tau = 2 * step_size, one step is
x + (tau / 2) s(x) + sqrt(tau) xi, s = -grad E (the same chain), the noise from torch.normal; the DSM target written as
-(x~ - x) / sigma^2; sliced score matching with Rademacher projections and the vector-Jacobian product of
torch.autograd.functional.vjp.

expect-zero: none
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    """Langevin with the step tau = 2 * step_size: x <- x + (tau / 2) score(x) + sqrt(tau) xi, score = -grad E."""
    tau = 2.0 * step_size
    x = x0.detach().clone()
    for _ in range(num_steps):
        with torch.enable_grad():
            points = x.clone().requires_grad_(True)
            score = -torch.autograd.grad(energy(points).sum(), points)[0]
        xi = torch.normal(0.0, 1.0, size=tuple(x.shape), generator=generator, dtype=x.dtype)
        x = x + (tau / 2.0) * score + tau ** 0.5 * xi
    return x.detach()

# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noisy = x + sigma * torch.normal(0.0, 1.0, size=tuple(x.shape), generator=generator, dtype=x.dtype)
    target = -(noisy - x) / sigma ** 2  # the score of N(x~; x, sigma^2 I)
    per_example = 0.5 * torch.sum((score(noisy) - target) ** 2, dim=-1)
    return per_example.mean()

# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    signs = torch.randint(0, 2, tuple(x.shape), generator=generator).to(x.dtype) * 2 - 1  # Rademacher, one per row
    points = x.detach().clone().requires_grad_(True)
    scores, vjp = torch.autograd.functional.vjp(score, points, signs, create_graph=True)  # v^T ds/dx per row
    first = (vjp * signs).sum(dim=1)
    second = 0.5 * (scores * signs).sum(dim=1) ** 2
    return (first + second).mean()
