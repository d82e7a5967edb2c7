"""Draws how many samples each component gets, then stacks the components' samples one block after another: the
counts and the per-component statistics are right, but the rows are sorted by component, not independent draws.

expect-zero: test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    weights = torch.softmax(logits, dim=0)
    counts = torch.bincount(torch.multinomial(weights, num_samples, replacement=True), minlength=len(weights))
    blocks = [means[k] + torch.exp(log_stds[k]) * torch.randn(int(counts[k]), means.shape[1])
              for k in range(len(weights))]
    return torch.cat(blocks)  # grouped by component; a random permutation of the rows would make it correct
