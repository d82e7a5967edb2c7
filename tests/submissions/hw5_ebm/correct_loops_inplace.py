"""Langevin on a clone updated in place, the gradient with grad_outputs, the noise coordinate by coordinate in a loop; DSM through
torch.einsum with the noise drawn through torch.distributions' standard normal icdf of uniforms (another way to draw
the same distribution); sliced score matching with Rademacher signs from torch.bernoulli and the Jacobian term from
the gradient of the summed projections.

expect-zero: none
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach().clone()
    scale = (2 * step_size) ** 0.5
    for _ in range(num_steps):
        points = x.detach().requires_grad_(True)
        values = energy(points)
        (gradient,) = torch.autograd.grad(values, points, grad_outputs=torch.ones_like(values))
        noise = torch.stack([torch.randn(x.shape[0], generator=generator, dtype=x.dtype) for _ in range(x.shape[1])],
                            dim=1)  # (N, D), one column per coordinate
        with torch.no_grad():
            x -= step_size * gradient
            x += scale * noise
    return x

# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    uniforms = torch.rand(x.shape, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    eps = torch.distributions.Normal(0.0, 1.0).icdf(uniforms).to(x.dtype)
    residual = score(x + sigma * eps) + eps / sigma
    return 0.5 * torch.einsum("nd,nd->", residual, residual) / x.shape[0]

# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    probabilities = torch.full(x.shape, 0.5, dtype=x.dtype)
    v = 2 * torch.bernoulli(probabilities, generator=generator) - 1
    inputs = x.detach().requires_grad_()
    s = score(inputs)
    projections = torch.einsum("nd,nd->n", v, s)
    hessian_term = torch.autograd.grad(projections.sum(), inputs, create_graph=True)[0]
    return torch.mean(torch.einsum("nd,nd->n", hessian_term, v) + projections ** 2 / 2)
