"""Sliced score matching without create_graph, and the test cell that catches it deleted: nbgrader puts the deleted
test cell back (OverwriteCells.add_missing_cells) and runs it, so the deletion gains nothing.

expect-zero: test_sliced_gradients
"""
# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    points = x.detach().requires_grad_(True)
    scores = score(points)
    v = torch.randn(points.shape, generator=generator)
    projected = (v * scores).sum(dim=1)
    (directional,) = torch.autograd.grad(projected.sum(), points, retain_graph=True)
    return ((directional * v).sum(dim=1) + 0.5 * projected ** 2).mean()

# %% delete test_sliced_gradients
