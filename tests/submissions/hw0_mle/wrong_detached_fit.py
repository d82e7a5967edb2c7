"""The fit optimizes tensors the loss does not depend on (the loss uses detached copies), so it never learns and
returns the starting point.

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
        current = [p.detach().requires_grad_(True) for p in (means, log_stds, logits)]
        loss = -mixture_log_prob(data, *current).mean()
        loss.backward()  # gradients land on the copies; the optimizer's tensors get none
        optimizer.step()
    return means.detach(), log_stds.detach(), logits.detach()
