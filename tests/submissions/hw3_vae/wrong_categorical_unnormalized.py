"""The logit of the observed level without the log-sum-exp normalization: not a log-probability, and training inflates
every logit instead of learning the distribution.

expect-zero: test_categorical_log_likelihood test_train_vae
"""
# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    return logits.gather(-1, x.long().unsqueeze(-1)).squeeze(-1).sum(-1)
