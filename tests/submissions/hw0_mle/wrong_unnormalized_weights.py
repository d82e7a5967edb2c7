"""The logits used as log weights without normalizing them (no log_softmax): the density does not integrate to one.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    z = (x[:, None, :] - means[None, :, :]) / torch.exp(log_stds)[None]
    log_normal = -0.5 * (z**2).sum(-1) - log_stds.sum(-1) - 0.5 * x.shape[1] * math.log(2 * math.pi)
    return torch.logsumexp(logits + log_normal, dim=1)
