"""Loops: the MMD^2 one row at a time, the permutation test with permutations drawn as argsort(rand) (another random
draw), the losses through F.logsigmoid, and the penalty's eps drawn as a vector and reshaped, the norm written out.

expect-zero: none
"""
# %% mmd2
def mmd2(x, y, bandwidth):
    def average_kernel(a, b, skip_same):
        total = torch.zeros((), dtype=a.dtype)
        for i in range(len(a)):
            row = torch.exp(-((a[i] - b) ** 2).sum(dim=1) / (2 * bandwidth * bandwidth))
            if skip_same:
                row = row * (torch.arange(len(b)) != i)  # the pair (i, i) left out
            total = total + row.sum()
        pairs = len(a) * (len(b) - 1) if skip_same else len(a) * len(b)
        return total / pairs

    return average_kernel(x, x, True) + average_kernel(y, y, True) - 2 * average_kernel(x, y, False)

# %% mmd_permutation_test
def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    observed = mmd2(x, y, bandwidth).item()
    pooled = torch.cat([x, y], dim=0)
    count = 0
    for _ in range(num_permutations):
        order = torch.argsort(torch.rand(len(pooled), generator=generator))
        first, second = pooled[order[:len(x)]], pooled[order[len(x):]]
        if mmd2(first, second, bandwidth).item() >= observed:
            count += 1
    return observed, (count + 1) / (num_permutations + 1)

# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(-fake_logits).mean()

# %% non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    return -F.logsigmoid(fake_logits).mean()

# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.shape[0]).to(real.dtype)
    x_hat = eps[:, None] * real.detach() + (1 - eps[:, None]) * fake.detach()
    x_hat.requires_grad_(True)
    out = critic(x_hat)
    grads = torch.autograd.grad(outputs=out, inputs=x_hat, grad_outputs=torch.ones_like(out), create_graph=True)[0]
    norms = torch.sqrt((grads**2).sum(dim=1))
    return ((norms - 1) ** 2).mean()
