"""The log-likelihood forgets the (1 - x) log(1 - p) term: zeros cost nothing, and training pushes every p to 1.

expect-zero: test_log_likelihood_values test_log_likelihood_stable test_made_normalized test_train_digits
"""
# %% log_likelihood
def log_likelihood(logits, x):
    return (x * F.logsigmoid(logits)).sum(1)
