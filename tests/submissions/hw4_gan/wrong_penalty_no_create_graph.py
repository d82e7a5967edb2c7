"""The gradient at x_hat taken without create_graph=True: the penalty has the right value but is a constant to
autograd, so it cannot train the critic.

expect-zero: test_gradient_penalty_differentiable
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    epsilon = torch.rand(len(real), 1, dtype=real.dtype)
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(points).sum(), points)
    return (gradients.norm(dim=1) - 1).pow(2).mean()
