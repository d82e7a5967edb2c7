"""The sampler draws one uniform per sample and compares it with the probability of every dimension: each
dimension has the right marginal frequency (given the earlier ones), but the dimensions share one noise draw.

expect-zero: test_sample_distribution
"""
# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, len(ordering))
    u = torch.rand(num_samples)  # should be a fresh uniform for every dimension
    with torch.no_grad():
        for d in ordering.tolist():
            x[:, d] = (u < torch.sigmoid(model(x)[:, d])).float()
    return x
