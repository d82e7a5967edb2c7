"""The Gaussian mixture (chapter 0, chapter 3, hw0): a discrete latent z ~ Categorical(pi) picks a component and
x | z=k ~ N(mu_k, diag(sigma_k^2)). The sum over z is exact,

    log p(x) = logsumexp_k [ log pi_k + log N(x; mu_k, diag(sigma_k^2)) ],

and the log-sum-exp form is the numerically stable way to compute it. Parameters are unconstrained: ``log_stds``
(sigma = exp(log_stds)) and ``logits`` (pi = softmax(logits)). :class:`GaussianMixture` is trained by gradient
descent on ``loss`` or by EM (``fit_em``, Dempster et al. 1977).

``mixture_log_prob`` and ``mixture_sample`` are the reference entry points of the course (hw0 blocks them while it
tests a student's own); the math lives in :mod:`dgm_utils.distributions`, which the toys of ``dgm_utils.data``
call directly.
"""

import math

import torch
from torch import nn

from dgm_utils import distributions
from dgm_utils._validation import check_positive_int
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import check_mixture_parameters, mixture_joint_log_prob

__all__ = ["mixture_log_prob", "mixture_sample", "GaussianMixture", "EM_VARIANCE_FLOOR", "EM_WEIGHT_FLOOR"]

#: EM keeps every variance at least this large (a component collapsing onto one point has an infinite likelihood).
EM_VARIANCE_FLOOR = 1e-6
#: ... and every mixture weight at least this large (an empty component keeps a finite log weight).
EM_WEIGHT_FLOOR = 1e-12


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
    return distributions.mixture_log_prob(x, means, log_stds, logits)


def mixture_sample(num_samples, means, log_stds, logits, generator=None):
    """Ancestral sampling: k ~ Categorical(softmax(logits)), then x = mu_k + sigma_k * eps. Returns (n, D)."""
    return distributions.mixture_sample(num_samples, means, log_stds, logits, generator=generator)


class GaussianMixture(ExactLikelihoodModel):
    """A learnable diagonal Gaussian mixture p(x) = sum_k pi_k N(x; mu_k, diag(sigma_k^2)).

    An :class:`dgm_utils.base.ExactLikelihoodModel`: ``log_prob(x) -> (N,)``, ``sample(num_samples) -> (n, D)``
    and ``loss(x)`` (the mean negative log-likelihood). It can be trained by
    gradient descent on ``loss`` or by expectation-maximization (``fit_em``).
    """

    def __init__(self, num_components, num_features=2):
        super().__init__()
        check_positive_int(num_components, "num_components")
        check_positive_int(num_features, "num_features")
        self.num_components = num_components
        self.num_features = num_features
        self.means = nn.Parameter(torch.randn(num_components, num_features))
        self.log_stds = nn.Parameter(torch.zeros(num_components, num_features))
        self.logits = nn.Parameter(torch.zeros(num_components))

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.num_features:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, {self.num_features}), got {shape}")

    @torch.no_grad()
    def init_from_data(self, x, generator=None, num_kmeans_steps=10):
        """Start from a k-means clustering of the data: means at the cluster centres, sigmas at the
        clusters' spreads, weights at their sizes.

        Gradient ascent on a mixture's likelihood moves components between far-apart modes only slowly,
        so a good start matters. The centres are seeded by greedy k-means++ (each new centre is the best,
        by the k-means cost, of a few candidates drawn with probability proportional to the squared
        distance to the nearest centre so far) and refined by ``num_kmeans_steps`` Lloyd iterations.
        """
        self._check_data(x)
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

    def log_prob(self, x, *, context=None):
        """log p(x) for each row of x (N, D) -> (N,)."""
        self.check_context(context)
        return mixture_log_prob(x, self.means, self.log_stds, self.logits)

    def responsibilities(self, x):
        """The posterior over components, r_nk = p(z=k | x_n) = pi_k N(x_n; mu_k, sigma_k^2) / p(x_n).

        x (N, D) -> (N, K); every row sums to 1."""
        check_mixture_parameters(self.means, self.log_stds, self.logits, x)
        return torch.softmax(mixture_joint_log_prob(x, self.means, self.log_stds, self.logits), dim=1)

    @torch.no_grad()
    def fit_em(self, x, num_steps=50, tol=None):
        """Fit the mixture to x (N, D) by expectation-maximization, starting from the current parameters.

        E-step: responsibilities r_nk = p(z=k | x_n) under the current parameters.
        M-step: with N_k = sum_n r_nk,

            pi_k = N_k / N,   mu_k = sum_n r_nk x_n / N_k,   sigma_kd^2 = sum_n r_nk (x_nd - mu_kd)^2 / N_k,

        the maximizer of the expected complete-data log-likelihood, so the log-likelihood never decreases.
        Variances are kept >= ``EM_VARIANCE_FLOOR`` (the exact M-step under that constraint, since each
        variance's objective is unimodal) and weights >= ``EM_WEIGHT_FLOOR``. A good start helps:
        call ``init_from_data`` first. Computed in float64.

        Args:
            x: data, shape (N, D).
            num_steps: maximal number of EM steps.
            tol: stop once a step raises the mean log-likelihood by less than ``tol`` nats (None: never).

        Returns:
            list of the mean log-likelihood (1/N) sum_n log p(x_n) after every step.
        """
        self._check_data(x)
        check_positive_int(num_steps, "num_steps")
        if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
            raise ValueError(f"tol must be None or a non-negative number, got {tol!r}")
        x = x.detach().to(self.means.device, torch.float64)  # (N, D)
        means, log_stds, logits = (p.detach().double() for p in (self.means, self.log_stds, self.logits))
        log_likelihoods = []
        for _ in range(num_steps):
            r = torch.softmax(mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N, K) E-step
            counts = r.sum(0)  # (K,) N_k
            safe_counts = counts.clamp(min=torch.finfo(torch.float64).tiny)[:, None]  # (K, 1)
            new_means = (r.T @ x) / safe_counts  # (K, D)
            means = torch.where(counts[:, None] > 0, new_means, means)  # an empty component stays put
            variances = (r.T @ x**2) / safe_counts - means**2  # (K, D) E_r[x^2] - mu^2
            log_stds = 0.5 * torch.log(variances.clamp(min=EM_VARIANCE_FLOOR))
            logits = torch.log((counts / len(x)).clamp(min=EM_WEIGHT_FLOOR))
            log_p = torch.logsumexp(mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N,)
            log_likelihoods.append(log_p.mean().item())
            if tol is not None and len(log_likelihoods) > 1 and log_likelihoods[-1] - log_likelihoods[-2] < tol:
                break
        for parameter, value in zip((self.means, self.log_stds, self.logits), (means, log_stds, logits)):
            parameter.copy_(value)
        return log_likelihoods

    @torch.no_grad()
    def _sample(self, num_samples, *, generator, context):
        """Draw (num_samples, D) points by ancestral sampling."""
        return mixture_sample(num_samples, self.means, self.log_stds, self.logits, generator=generator)


