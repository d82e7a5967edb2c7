"""Vectorized: the MMD^2 through torch.cdist (the diagonal counted as N ones); the permutation test with one pooled
kernel matrix and every relabelling as a 0/1 mask, under torch.no_grad(); the losses through
F.binary_cross_entropy_with_logits; the penalty through torch.func (vmap of grad) and torch.linalg.vector_norm.

expect-zero: none
"""
# %% mmd2
def mmd2(x, y, bandwidth):
    n, m = x.shape[0], y.shape[0]
    gamma = 1.0 / (2.0 * bandwidth**2)
    k_xx = torch.exp(-gamma * torch.cdist(x, x) ** 2)
    k_yy = torch.exp(-gamma * torch.cdist(y, y) ** 2)
    k_xy = torch.exp(-gamma * torch.cdist(x, y) ** 2)
    return (k_xx.sum() - n) / (n * (n - 1)) + (k_yy.sum() - m) / (m * (m - 1)) - 2.0 * k_xy.sum() / (n * m)

# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    n, m = len(x), len(y)
    with torch.no_grad():
        pooled = torch.cat([x, y]).double()
        kernel = torch.exp(-((pooled[:, None] - pooled[None]) ** 2).sum(-1) / (2 * bandwidth**2))
        kernel.fill_diagonal_(0.0)
        labels = [torch.arange(n + m)] + [torch.randperm(n + m, generator=generator) for _ in range(num_permutations)]
        first = torch.zeros(len(labels), n + m, dtype=torch.float64)
        first.scatter_(1, torch.stack(labels)[:, :n], 1.0)
        second = 1 - first
        stats = (((first @ kernel) * first).sum(1) / (n * (n - 1)) + ((second @ kernel) * second).sum(1) / (m * (m - 1))
                 - 2 * ((first @ kernel) * second).sum(1) / (n * m))
    observed = float(mmd2(x, y, bandwidth))
    exceed = int((stats[1:] >= stats[0] - 1e-12).sum())
    return observed, (1 + exceed) / (1 + num_permutations)

# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    real_term = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake_term = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real_term + fake_term

# %% non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))

# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    t = torch.rand(len(real), 1, dtype=real.dtype)
    x_hat = fake + t * (real - fake)
    gradient_of_one = torch.func.grad(lambda point: critic(point[None]).sum())
    grads = torch.func.vmap(gradient_of_one)(x_hat)  # (N, D), differentiable in the critic's parameters
    return (torch.linalg.vector_norm(grads, dim=-1) - 1.0).square().mean()
