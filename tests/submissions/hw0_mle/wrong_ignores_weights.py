"""The sampler draws every component equally often, ignoring the mixture weights.

expect-zero: test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    labels = torch.randint(means.shape[0], (num_samples,))
    return means[labels] + torch.exp(log_stds[labels]) * torch.randn(num_samples, means.shape[1])
