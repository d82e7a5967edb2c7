"""The sampler seeds a generator of its own inside the function, so every call returns the very same samples (and
torch.manual_seed has no effect on them).

expect-zero: test_sample_shapes
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    generator = torch.Generator().manual_seed(0)
    labels = torch.multinomial(torch.softmax(logits, dim=0), num_samples, replacement=True, generator=generator)
    noise = torch.randn(num_samples, means.shape[1], generator=generator)
    return means[labels] + torch.exp(log_stds[labels]) * noise
