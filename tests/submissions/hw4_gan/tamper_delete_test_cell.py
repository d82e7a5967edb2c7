"""The penalty without create_graph, and the test cell that catches it deleted: nbgrader puts the deleted test cell
back (OverwriteCells.add_missing_cells) and runs it, so the deletion gains nothing.

expect-zero: test_gradient_penalty_differentiable
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    epsilon = torch.rand(len(real), 1)
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    gradients = torch.autograd.grad(critic(points).sum(), points)[0]
    return ((gradients**2).sum(1).sqrt() - 1).pow(2).mean()

# %% delete test_gradient_penalty_differentiable
