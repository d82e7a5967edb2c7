"""A correct submission that prints about 60 MB while running: it gets full marks, and the stored output (autograded
notebook, feedback) is cut to a bounded size.

expect-zero: none
"""
# %% mixture_sample
print("x" * (40 << 20))  # one 40 MB line
for _ in range(200_000):
    print("a line of progress output, again and again")


def mixture_sample(num_samples, means, log_stds, logits):
    weights = torch.softmax(logits.detach(), dim=0)
    labels = torch.multinomial(weights, num_samples, replacement=True)
    noise = torch.randn(num_samples, means.shape[1], dtype=means.dtype)
    return means[labels] + torch.exp(log_stds[labels]) * noise
