"""The gradient norm taken over the batch axis (dim=0) instead of over each row's coordinates.

expect-zero: test_gradient_penalty_values test_gradient_penalty_differentiable
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    epsilon = torch.rand(len(real), 1, dtype=real.dtype)
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return (gradients.norm(dim=0) - 1).pow(2).mean()
