"""A sampler in the natural order, and the statistical sampling test deleted: nbgrader puts the deleted test cell back
(OverwriteCells.add_missing_cells) and runs it, so the deletion gains nothing.

expect-zero: test_sample_basic test_sample_distribution
"""
# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, len(ordering))
    with torch.no_grad():
        for d in range(len(ordering)):
            x[:, d] = torch.bernoulli(torch.sigmoid(model(x)[:, d]))
    return x

# %% delete test_sample_distribution
