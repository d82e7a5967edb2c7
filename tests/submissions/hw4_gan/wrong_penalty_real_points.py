"""The penalty taken at the real points only (no interpolation): right for critics whose gradient norm is the same
everywhere, wrong wherever it is not.

expect-zero: test_gradient_penalty_values
"""
# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    points = real.detach().clone().requires_grad_(True)
    (gradients,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    return (gradients.norm(dim=1) - 1).pow(2).mean()
