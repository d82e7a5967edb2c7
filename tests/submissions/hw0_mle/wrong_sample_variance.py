"""The sampler scales the noise by the variance sigma^2 instead of the standard deviation sigma.

expect-zero: test_sample_shapes test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    labels = torch.multinomial(torch.softmax(logits, dim=0), num_samples, replacement=True)
    return means[labels] + torch.exp(2 * log_stds[labels]) * torch.randn(num_samples, means.shape[1])
