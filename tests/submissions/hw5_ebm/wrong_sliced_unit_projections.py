"""Projections normalized to unit length: E[v v^T] = I / D, so the estimate is biased.

expect-zero: test_sliced_expectation test_sliced_gradients
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().requires_grad_(True)
    scores = score(points)
    v = torch.randn(points.shape, generator=generator, dtype=x.dtype)
    v = v / v.norm(dim=1, keepdim=True)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, create_graph=True)
    return ((directional * v).sum(dim=1) + 0.5 * projected ** 2).mean()
