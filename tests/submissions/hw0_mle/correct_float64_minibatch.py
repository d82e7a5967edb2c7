"""Correct, computed in float64 with variances and log-determinants, labels from torch.distributions.Categorical,
noise from torch.normal, and a fit on shuffled mini-batches of 500 points.

expect-zero: none
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    variances = torch.exp(2 * log_stds.double())  # (K, D)
    differences = x.double().unsqueeze(1) - means.double().unsqueeze(0)  # (N, K, D)
    mahalanobis = (differences ** 2 / variances).sum(dim=2)  # (N, K)
    log_det = torch.log(variances).sum(dim=1)  # (K,)
    log_gauss = -0.5 * (mahalanobis + log_det + means.shape[1] * math.log(2 * math.pi))
    log_pi = logits.double() - torch.logsumexp(logits.double(), dim=0)
    return torch.logsumexp(log_gauss + log_pi, dim=1).to(x.dtype)

# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    labels = torch.distributions.Categorical(logits=logits).sample((num_samples,))
    return torch.normal(means[labels], torch.exp(log_stds[labels]))

# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    means = init_means.clone().detach().requires_grad_(True)
    log_stds = torch.zeros(init_means.shape, requires_grad=True)
    logits = torch.zeros(init_means.shape[0], requires_grad=True)
    optimizer = torch.optim.Adam([means, log_stds, logits], lr=lr)
    batch_size = 500
    for step in range(num_steps):
        batch = data[torch.randperm(len(data))[:batch_size]]
        optimizer.zero_grad()
        (-mixture_log_prob(batch, means, log_stds, logits).mean()).backward()
        optimizer.step()
    return means.detach(), log_stds.detach(), logits.detach()
