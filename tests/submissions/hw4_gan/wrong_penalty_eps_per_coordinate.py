"""A separate eps for every coordinate (torch.rand_like(real)): x_hat is no longer on the segment between real and
fake, but each coordinate on its own looks right.

expect-zero: test_gradient_penalty_values
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    epsilon = torch.rand_like(real)
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return (gradients.norm(dim=1) - 1).pow(2).mean()
