"""Calls the course's reference implementations in dgm_utils.latent instead of implementing anything: every test
cell must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% mixture_log_prob
from dgm_utils.latent import mixture_log_prob as _reference_log_prob


def mixture_log_prob(x, means, log_stds, logits):
    return _reference_log_prob(x, means, log_stds, logits)

# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    return dgm_utils.latent.mixture_sample(num_samples, means, log_stds, logits)

# %% fit_mixture
def fit_mixture(data, init_means, *, num_steps=300, lr=0.05):
    model = dgm_utils.latent.GaussianMixture(init_means.shape[0], init_means.shape[1])
    with torch.no_grad():
        model.means.copy_(init_means)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_steps):
        optimizer.zero_grad()
        model.loss(data).backward()
        optimizer.step()
    return model.means.detach(), model.log_stds.detach(), model.logits.detach()
