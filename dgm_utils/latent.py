"""Latent variable models (unit 3 of the course; the Gaussian mixture is used from chapter 0 on).

A Gaussian mixture with diagonal covariances is the simplest latent variable model: a discrete latent
``z ~ Categorical(pi)`` picks a component, and ``x | z=k ~ N(mu_k, diag(sigma_k^2))``. Its density sums
the latent out,

    log p(x) = log sum_k pi_k N(x; mu_k, diag(sigma_k^2))
             = logsumexp_k [ log pi_k + log N(x; mu_k, diag(sigma_k^2)) ],

and the log-sum-exp form is the numerically stable way to compute it (chapter 0, assignment hw0).
Parameters are unconstrained: ``log_stds`` (sigma = exp(log_stds)) and ``logits`` (pi = softmax(logits)).
"""

import math

import torch
from torch import nn

__all__ = ["mixture_log_prob", "mixture_sample", "GaussianMixture"]

_LOG_TWO_PI = math.log(2.0 * math.pi)


def _check_mixture_args(means, log_stds, logits, x=None):
    for name, value in (("means", means), ("log_stds", log_stds), ("logits", logits)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if means.dim() != 2:
        raise ValueError(f"means must have shape (K, D), got {tuple(means.shape)}")
    if log_stds.shape != means.shape:
        raise ValueError(f"log_stds must have the shape of means {tuple(means.shape)}, got {tuple(log_stds.shape)}")
    if logits.shape != means.shape[:1]:
        raise ValueError(f"logits must have shape (K,) = ({means.shape[0]},), got {tuple(logits.shape)}")
    if x is not None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
        if x.dim() != 2 or x.shape[1] != means.shape[1]:
            raise ValueError(f"x must have shape (N, D) with D = {means.shape[1]}, got {tuple(x.shape)}")


def mixture_log_prob(x, means, log_stds, logits):
    """Log density of a diagonal Gaussian mixture at each row of ``x``.

    Args:
        x: points, shape (N, D).
        means: component means mu_k, shape (K, D).
        log_stds: log standard deviations log sigma_k, shape (K, D).
        logits: unnormalized log weights, shape (K,); pi = softmax(logits).

    Returns:
        log p(x), shape (N,).
    """
    _check_mixture_args(means, log_stds, logits, x)
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]  # (N, K, D) standardized
    log_normal = -0.5 * (z**2 + _LOG_TWO_PI).sum(-1) - log_stds.sum(-1)[None]  # (N, K)
    log_weights = torch.log_softmax(logits, dim=0)  # (K,)
    return torch.logsumexp(log_normal + log_weights[None], dim=1)  # (N,)


def mixture_sample(num_samples, means, log_stds, logits, generator=None):
    """Ancestral sampling: k ~ Categorical(softmax(logits)), then x = mu_k + sigma_k * eps. Returns (n, D)."""
    _check_mixture_args(means, log_stds, logits)
    if not isinstance(num_samples, int) or num_samples < 0:
        raise ValueError(f"num_samples must be a non-negative int, got {num_samples!r}")
    if num_samples == 0:
        return means.new_zeros(0, means.shape[1])
    probs = torch.softmax(logits.detach().float(), dim=0)
    components = torch.multinomial(probs.cpu(), num_samples, replacement=True, generator=generator)  # (n,)
    components = components.to(means.device)
    eps = torch.randn(num_samples, means.shape[1], generator=generator, dtype=means.dtype)  # (n, D)
    eps = eps.to(means.device)
    return means[components] + torch.exp(log_stds[components]) * eps


class GaussianMixture(nn.Module):
    """A learnable diagonal Gaussian mixture p(x) = sum_k pi_k N(x; mu_k, diag(sigma_k^2)).

    Exposes the interface shared by every density model of the course: ``log_prob(x) -> (N,)``,
    ``sample(n) -> (n, D)`` and ``loss(x)`` (the mean negative log-likelihood).
    """

    def __init__(self, num_components, dim=2):
        super().__init__()
        if not isinstance(num_components, int) or num_components < 1:
            raise ValueError(f"num_components must be a positive int, got {num_components!r}")
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        self.num_components = num_components
        self.dim = dim
        self.means = nn.Parameter(torch.randn(num_components, dim))
        self.log_stds = nn.Parameter(torch.zeros(num_components, dim))
        self.logits = nn.Parameter(torch.zeros(num_components))

    @torch.no_grad()
    def init_from_data(self, x, generator=None, num_kmeans_steps=10):
        """Start from a k-means clustering of the data: means at the cluster centres, sigmas at the
        clusters' spreads, weights at their sizes.

        Gradient ascent on a mixture's likelihood moves components between far-apart modes only slowly,
        so a good start matters. The centres are seeded by greedy k-means++ (each new centre is the best,
        by the k-means cost, of a few candidates drawn with probability proportional to the squared
        distance to the nearest centre so far) and refined by ``num_kmeans_steps`` Lloyd iterations.
        """
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, {self.dim}), got {shape}")
        if len(x) < self.num_components:
            raise ValueError(f"need at least num_components = {self.num_components} points, got {len(x)}")
        x = x.detach().to("cpu", torch.float64)
        num_candidates = 2 + int(math.log(self.num_components))
        centres = x[torch.randint(len(x), (1,), generator=generator)]  # (1, D)
        nearest_dist2 = ((x - centres[0]) ** 2).sum(1)  # (N,)
        for _ in range(1, self.num_components):
            candidates = torch.multinomial(nearest_dist2 + 1e-12, num_candidates, replacement=True,
                                           generator=generator)  # (C,)
            candidate_dist2 = torch.minimum(nearest_dist2[None], torch.cdist(x[candidates], x) ** 2)  # (C, N)
            best = candidate_dist2.sum(1).argmin()
            centres = torch.cat([centres, x[candidates[best]][None]])
            nearest_dist2 = candidate_dist2[best]
        for _ in range(num_kmeans_steps):  # Lloyd: assign to the nearest centre, move centres to the means
            assignment = torch.cdist(x, centres).argmin(1)  # (N,)
            for k in range(self.num_components):
                members = x[assignment == k]
                if len(members) > 0:
                    centres[k] = members.mean(0)
        assignment = torch.cdist(x, centres).argmin(1)
        counts = torch.bincount(assignment, minlength=self.num_components).double()  # (K,)
        spread = torch.stack([x[assignment == k].std(0, unbiased=False) if counts[k] > 1 else x.std(0)
                              for k in range(self.num_components)])  # (K, D)
        self.means.copy_(centres)
        self.log_stds.copy_(torch.log(spread.clamp(min=1e-3)))
        self.logits.copy_(torch.log(counts.clamp(min=1.0) / counts.sum()))
        return self

    def log_prob(self, x):
        """log p(x) for each row of x (N, D) -> (N,)."""
        return mixture_log_prob(x, self.means, self.log_stds, self.logits)

    @torch.no_grad()
    def sample(self, num_samples, generator=None):
        """Draw (num_samples, D) points by ancestral sampling."""
        return mixture_sample(num_samples, self.means, self.log_stds, self.logits, generator=generator)

    def loss(self, x):
        """Training objective: negative log-likelihood in nats per example, -mean_i log p(x_i)."""
        return -self.log_prob(x).mean()
