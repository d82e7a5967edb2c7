"""A log-likelihood without the (1 - p) term, the training test replaced by `pass` and the read-only MADE cell edited:
locked cells are restored from the gradebook when grading, so the edits gain nothing.

expect-zero: test_log_likelihood_values test_log_likelihood_stable test_made_normalized test_train_digits
"""
# %% log_likelihood
def log_likelihood(logits, x):
    return (x * F.logsigmoid(logits)).sum(1)

# %% test_train_digits
pass

# %% made_class
class MADE(nn.Module):
    pass
