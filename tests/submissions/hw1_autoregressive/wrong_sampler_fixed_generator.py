"""The sampler seeds a generator of its own inside the function: every call returns the very same samples, and
torch.manual_seed has no effect on them.

expect-zero: test_sample_basic
"""
# %% sample
def sample(model, num_samples, ordering):
    generator = torch.Generator().manual_seed(1234)
    x = torch.zeros(num_samples, len(ordering))
    with torch.no_grad():
        for d in ordering.tolist():
            x[:, d] = torch.bernoulli(torch.sigmoid(model(x)[:, d]), generator=generator)
    return x
