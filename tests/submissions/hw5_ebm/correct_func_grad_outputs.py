"""Langevin with the energy's gradient from torch.func.grad and the noise drawn by Tensor.normal_; DSM with the noise
drawn as a (D, N) tensor and transposed (another draw of the random numbers) and the squared norm from
torch.linalg.vector_norm; sliced score matching with Gaussian projections drawn by normal_ and the vector-Jacobian
product through grad_outputs (no sum over rows), in float64 inside.

expect-zero: none
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    gradient_of = torch.func.grad(lambda points: energy(points).sum())
    x = x0.detach()
    for step in range(num_steps):
        noise = torch.empty_like(x).normal_(generator=generator)
        x = x - step_size * gradient_of(x) + math.sqrt(2.0 * step_size) * noise
    return x.detach()

# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    n, d = x.shape
    eps = torch.randn(d, n, generator=generator, dtype=x.dtype).T  # (N, D)
    residual = score(x + sigma * eps) + eps / sigma
    return 0.5 * torch.linalg.vector_norm(residual, dim=1).pow(2).mean()

# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().clone().requires_grad_(True)
    v = torch.empty_like(points).normal_(generator=generator)
    s = score(points)
    (v_jacobian,) = torch.autograd.grad(s, points, grad_outputs=v, create_graph=True)  # row i: v_i^T ds/dx (x_i)
    loss = (v_jacobian.double() * v.double()).sum(1) + 0.5 * ((s.double() * v.double()).sum(1)) ** 2
    return loss.mean().to(x.dtype)
