"""The fit is right but returns the optimized tensors themselves, still requiring gradients, not detached as the task
asks.

expect-zero: test_fit_runs
"""
# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    means = init_means.detach().clone().requires_grad_(True)
    log_stds = torch.zeros_like(means, requires_grad=True)
    logits = torch.zeros(means.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([means, log_stds, logits], lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        (-mixture_log_prob(data, means, log_stds, logits).mean()).backward()
        optimizer.step()
    return means, log_stds, logits
