"""The sampler runs the model once, on zeros, and draws every dimension from those logits: each dimension is drawn
as if all the dimensions before it were 0.

expect-zero: test_sample_basic test_sample_distribution
"""
# %% sample
def sample(model, num_samples, ordering):
    with torch.no_grad():
        probs = torch.sigmoid(model(torch.zeros(num_samples, len(ordering))))  # one pass only
    return torch.bernoulli(probs)
