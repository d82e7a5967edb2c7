"""Inverse-CDF label sampling with an off-by-one: counting the exclusive cumulative weights below u gives k + 1
(wrapped around), so component k + 1 is drawn with the weight of component k.

expect-zero: test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    weights = torch.softmax(logits, dim=0)
    starts = torch.cumsum(weights, dim=0) - weights  # [0, w0, w0 + w1, ...]
    u = torch.rand(num_samples)
    labels = (u[:, None] >= starts[None, :]).sum(dim=1) % means.shape[0]  # off by one: should subtract 1
    return means[labels] + torch.exp(log_stds[labels]) * torch.randn(num_samples, means.shape[1])
