"""Correct, written with torch.distributions (MixtureSameFamily) for the density, the sampler and the fit.

expect-zero: none
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    components = torch.distributions.Independent(torch.distributions.Normal(means, torch.exp(log_stds)), 1)
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(logits=logits), components)
    return mixture.log_prob(x)

# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    components = torch.distributions.Independent(torch.distributions.Normal(means, torch.exp(log_stds)), 1)
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(logits=logits), components)
    return mixture.sample((num_samples,))

# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    params = [init_means.clone().requires_grad_(), torch.zeros_like(init_means, requires_grad=True),
              torch.zeros(len(init_means), requires_grad=True)]
    optimizer = torch.optim.Adam(params, lr=lr)
    for step in range(num_steps):
        loss = -mixture_log_prob(data, *params).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return tuple(p.detach() for p in params)
