"""A sampler that ignores the weights, and the test cell that would catch it replaced by `pass`: the locked cell is
restored from the gradebook when grading, so the edit gains nothing.

expect-zero: test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    labels = torch.randint(means.shape[0], (num_samples,))
    return means[labels] + torch.exp(log_stds[labels]) * torch.randn(num_samples, means.shape[1])

# %% test_sample_distribution
pass
