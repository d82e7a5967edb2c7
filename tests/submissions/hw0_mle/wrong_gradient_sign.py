"""The fit minimizes the log-likelihood instead of maximizing it (loss = +mean log p).

expect-zero: test_fit_runs test_fit_quality
"""
# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    means = init_means.clone().requires_grad_(True)
    log_stds = torch.zeros_like(means, requires_grad=True)
    logits = torch.zeros(means.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([means, log_stds, logits], lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        loss = mixture_log_prob(data, means, log_stds, logits).mean()  # wrong sign
        loss.backward()
        optimizer.step()
    return means.detach(), log_stds.detach(), logits.detach()
