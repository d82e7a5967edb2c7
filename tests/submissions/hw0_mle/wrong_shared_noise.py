"""One standard normal draw per sample, shared by all its dimensions (noise of shape (n, 1)): every dimension has the
right mean and standard deviation, but within a component the dimensions are perfectly correlated.

expect-zero: test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    labels = torch.multinomial(torch.softmax(logits, dim=0), num_samples, replacement=True)
    noise = torch.randn(num_samples, 1)  # should be (num_samples, D)
    return means[labels] + torch.exp(log_stds[labels]) * noise
