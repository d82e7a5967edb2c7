"""Correct: the number of samples of each component is drawn from a multinomial, the components' samples are drawn
block by block, and the rows are then put in random order; noise by torch.normal per component block.

expect-zero: none
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    weights = torch.softmax(logits, dim=0)
    counts = torch.distributions.Multinomial(num_samples, probs=weights).sample().long()
    blocks = []
    for k in range(means.shape[0]):
        count = int(counts[k])
        blocks.append(torch.normal(means[k].expand(count, -1), torch.exp(log_stds[k]).expand(count, -1)))
    samples = torch.cat(blocks)
    return samples[torch.randperm(num_samples)]
