"""The log weights computed as log(softmax(logits)): softmax is stable, but a weight below e^-103 is 0 in float32, so
with logits (0, 120) the log weight of the component next to the data is -inf instead of -120.

expect-zero: test_log_prob_stable
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]
    log_normal = -0.5 * (z**2).sum(-1) - log_stds.sum(-1) - 0.5 * x.shape[1] * math.log(2 * math.pi)
    log_weights = torch.log(torch.softmax(logits, dim=0))  # -inf once a weight underflows
    return torch.logsumexp(log_weights + log_normal, dim=1)
