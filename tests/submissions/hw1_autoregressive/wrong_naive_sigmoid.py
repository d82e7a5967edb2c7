"""log(sigmoid) and log(1 - sigmoid) literally: right for moderate logits, -inf for confident ones.

expect-zero: test_log_likelihood_stable
"""
# %% log_likelihood
def log_likelihood(logits, x):
    p = torch.sigmoid(logits)
    return (x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum(1)
