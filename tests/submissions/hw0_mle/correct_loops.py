"""Correct, with explicit Python loops over the components, a hand-written max-shift log-sum-exp, log weights
l - logsumexp(l), labels drawn by inverting the cumulative weights, and the fit through an nn.Module.

expect-zero: none
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    num_components, dim = means.shape
    log_weights = logits - torch.logsumexp(logits, dim=0)
    terms = []
    for k in range(num_components):
        log_density = torch.zeros(x.shape[0], dtype=x.dtype)
        for d in range(dim):
            sigma = torch.exp(log_stds[k, d])
            log_density = log_density - 0.5 * ((x[:, d] - means[k, d]) / sigma) ** 2 - torch.log(sigma) \
                - 0.5 * math.log(2 * math.pi)
        terms.append(log_weights[k] + log_density)
    terms = torch.stack(terms, dim=0)  # (K, N)
    largest = terms.max(dim=0).values  # (N,)
    return largest + torch.log(torch.exp(terms - largest).sum(dim=0))

# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    weights = torch.exp(logits - torch.logsumexp(logits, dim=0))
    cumulative = torch.cumsum(weights, dim=0)
    uniforms = torch.rand(num_samples, dtype=cumulative.dtype)
    labels = torch.searchsorted(cumulative, uniforms).clamp(max=len(weights) - 1)
    samples = torch.empty(num_samples, means.shape[1], dtype=means.dtype)
    for k in range(len(weights)):
        chosen = labels == k
        count = int(chosen.sum())
        samples[chosen] = means[k] + torch.exp(log_stds[k]) * torch.randn(count, means.shape[1], dtype=means.dtype)
    return samples

# %% fit_mixture
class _Mixture(torch.nn.Module):
    def __init__(self, init_means):
        super().__init__()
        self.means = torch.nn.Parameter(init_means.clone())
        self.log_stds = torch.nn.Parameter(torch.zeros_like(init_means))
        self.logits = torch.nn.Parameter(torch.zeros(init_means.shape[0]))


def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    model = _Mixture(init_means)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        nll = -torch.mean(mixture_log_prob(data, model.means, model.log_stds, model.logits))
        nll.backward()
        optimizer.step()
    with torch.no_grad():
        return model.means.clone(), model.log_stds.clone(), model.logits.clone()
