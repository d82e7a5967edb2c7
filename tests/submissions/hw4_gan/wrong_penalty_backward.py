"""The gradient at x_hat read from points.grad after critic(points).sum().backward(create_graph=True): the value is
right and differentiable, but the call also adds d critic / d theta to every parameter's .grad, corrupting the next
optimizer step of the critic.

expect-zero: test_gradient_penalty_differentiable
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    epsilon = torch.rand(len(real), 1, dtype=real.dtype)
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    critic(points).sum().backward(create_graph=True)
    return (points.grad.norm(dim=1) - 1).pow(2).mean()
