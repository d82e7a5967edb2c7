"""The means are optimized as nn.Parameter(init_means), which shares the caller's memory: every Adam step overwrites
the caller's init_means (the task says not to modify it). The fit itself is right.

expect-zero: test_fit_runs
"""
# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    means = torch.nn.Parameter(init_means)  # the same storage as init_means
    log_stds = torch.nn.Parameter(torch.zeros_like(init_means))
    logits = torch.nn.Parameter(torch.zeros(init_means.shape[0]))
    optimizer = torch.optim.Adam([means, log_stds, logits], lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        (-mixture_log_prob(data, means, log_stds, logits).mean()).backward()
        optimizer.step()
    return means.detach(), log_stds.detach(), logits.detach()
