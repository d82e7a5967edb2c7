"""The vector-Jacobian product without create_graph=True: the right value, but the term v^T (ds/dx) v is a constant to
autograd, so its gradient in the score's parameters is missing.

expect-zero: test_sliced_gradients
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().requires_grad_(True)
    scores = score(points)
    v = torch.randn(points.shape, generator=generator, dtype=x.dtype)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, retain_graph=True)
    return ((directional * v).sum(dim=1) + 0.5 * projected ** 2).mean()
