"""log(softmax(logits)) literally: right for moderate logits, -inf when a level's probability underflows.

expect-zero: test_categorical_log_likelihood
"""
# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    probs = torch.softmax(logits, dim=-1)
    return torch.log(probs.gather(-1, x.long().unsqueeze(-1)).squeeze(-1)).sum(-1)
