"""log_stds read as log variances (sigma^2 = exp(log_stds)) in the density: a normalized density with the wrong
scale, fitted consistently in the wrong parameterization.

expect-zero: test_log_prob_values test_log_prob_stable test_fit_runs test_fit_quality
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    variances = torch.exp(log_stds)  # wrong: exp(log_stds) is sigma, not sigma^2
    z2 = (x[:, None, :] - means[None, :, :]) ** 2 / variances[None]
    log_normal = -0.5 * z2.sum(-1) - 0.5 * log_stds.sum(-1) - 0.5 * x.shape[1] * math.log(2 * math.pi)
    return torch.logsumexp(torch.log_softmax(logits, dim=0) + log_normal, dim=1)
