"""x.requires_grad_(True) on the caller's tensor instead of on a copy: the right loss, but x is changed.

expect-zero: test_sliced_expectation
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.requires_grad_(True)
    scores = score(points)
    v = torch.randn(points.shape, generator=generator, dtype=x.dtype)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, create_graph=True)
    return ((directional * v).sum(dim=1) + 0.5 * projected ** 2).mean()
