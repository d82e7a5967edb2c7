"""IWAE averaging the log-weights, and the test cell that catches it deleted: nbgrader puts the deleted test cell back
(OverwriteCells.add_missing_cells) and runs it, so the deletion gains nothing.

expect-zero: test_iwae_tightens
"""
# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    mean, log_var = encoder(x)
    log_weights = []
    for _ in range(num_samples):
        z = reparameterize(mean, log_var)
        log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)
        log_q = -0.5 * ((z - mean) ** 2 / log_var.exp() + log_var + math.log(2 * math.pi)).sum(-1)
        log_weights.append(log_likelihood(x, z) + log_prior - log_q)
    return torch.stack(log_weights).mean(0)

# %% delete test_iwae_tightens
