"""The second term without its 1/2: (v^T s)^2 instead of (v^T s)^2 / 2.

expect-zero: test_sliced_expectation test_sliced_gradients
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().requires_grad_(True)
    scores = score(points)
    v = torch.randn(points.shape, generator=generator, dtype=x.dtype)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, create_graph=True)
    return ((directional * v).sum(dim=1) + projected ** 2).mean()
