"""Another random draw everywhere: the pool relabelled by a permutation whose LAST N points form the first group,
counted with a tensor comparison; eps drawn by uniform_() and the interpolation written from real; the losses as
logaddexp(0, .); the penalty reads the gradient with grad_outputs and reshapes the critic's output.

expect-zero: none
"""
# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    observed = mmd2(x, y, bandwidth).detach()
    pooled = torch.cat((x, y))
    n = x.shape[0]
    permuted_statistics = []
    for _ in range(num_permutations):
        shuffled = pooled[torch.randperm(pooled.shape[0], generator=generator)]
        permuted_statistics.append(mmd2(shuffled[-n:], shuffled[:-n], bandwidth).detach())
    extreme = (torch.stack(permuted_statistics) >= observed).sum().item()
    return observed.item(), (extreme + 1.0) / (num_permutations + 1.0)

# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    zero = torch.zeros((), dtype=real_logits.dtype)
    return torch.logaddexp(zero, -real_logits).mean() + torch.logaddexp(zero, fake_logits).mean()

# %% non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    return torch.logaddexp(torch.zeros((), dtype=fake_logits.dtype), -fake_logits).mean()

# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    eps = torch.empty(real.shape[0], 1, dtype=real.dtype).uniform_(0.0, 1.0)
    x_hat = (real - (1.0 - eps) * (real - fake)).detach().requires_grad_()
    values = critic(x_hat).reshape(-1)
    (grads,) = torch.autograd.grad(values, x_hat, grad_outputs=torch.ones_like(values), create_graph=True)
    return ((grads.norm(2, dim=1) - 1.0) ** 2).mean()
