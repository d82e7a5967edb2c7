"""The sampler fills the dimensions 0, 1, ..., D-1 instead of following the ordering.

expect-zero: test_sample_basic test_sample_distribution
"""
# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, len(ordering))
    with torch.no_grad():
        for d in range(len(ordering)):
            x[:, d] = torch.bernoulli(torch.sigmoid(model(x)[:, d]))
    return x
