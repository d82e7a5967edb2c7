"""One projection shared by the whole batch (shape (1, D)): unbiased, but its error does not average out over the batch.

expect-zero: test_sliced_independent
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().requires_grad_(True)
    scores = score(points)
    v = torch.randn(1, x.shape[1], generator=generator, dtype=x.dtype).expand_as(points)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, create_graph=True)
    return ((directional * v).sum(dim=1) + 0.5 * projected ** 2).mean()
