"""Correct: the sampler runs under torch.inference_mode() (its results are inference tensors), the log-sum-exp is
hand-written with one maximum per point, and the fit maximizes the summed log-likelihood with Adam(maximize=True),
returning copies made under inference mode.

expect-zero: none
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    z = (x.unsqueeze(1) - means.unsqueeze(0)) / log_stds.exp().unsqueeze(0)  # (N, K, D)
    log_normal = -0.5 * z.pow(2).sum(2) - log_stds.sum(1) - 0.5 * means.shape[1] * math.log(2 * math.pi)
    a = log_normal + (logits - logits.max()) - torch.log(torch.exp(logits - logits.max()).sum())  # (N, K)
    m = a.max(dim=1, keepdim=True).values.detach()  # (N, 1), a constant shift: the gradient is unchanged
    return (m + torch.log(torch.exp(a - m).sum(dim=1, keepdim=True))).squeeze(1)

# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    with torch.inference_mode():
        labels = torch.distributions.Categorical(logits=logits).sample((num_samples,))
        return torch.distributions.Normal(means[labels], torch.exp(log_stds[labels])).sample()

# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    parameters = {"means": init_means.clone().detach().requires_grad_(True),
                  "log_stds": torch.zeros(init_means.shape, requires_grad=True),
                  "logits": torch.zeros(init_means.shape[0], requires_grad=True)}
    optimizer = torch.optim.Adam(parameters.values(), lr=lr, maximize=True)
    step = 0
    while step < num_steps:
        optimizer.zero_grad(set_to_none=True)
        mixture_log_prob(data, parameters["means"], parameters["log_stds"], parameters["logits"]).sum().backward()
        optimizer.step()
        step += 1
    with torch.inference_mode():
        return parameters["means"].clone(), parameters["log_stds"].clone(), parameters["logits"].clone()
