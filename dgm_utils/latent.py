"""Latent variable models (unit 3 of the course; the Gaussian mixture is used from chapter 0 on).

A latent variable model draws an unobserved ``z`` from a prior p(z) and then ``x`` from p(x | z); its
density sums or integrates the latent out, p(x) = sum_z p(z) p(x|z) or int p(z) p(x|z) dz.

* Gaussian mixture (:class:`GaussianMixture`): a discrete ``z ~ Categorical(pi)`` picks a component and
  ``x | z=k ~ N(mu_k, diag(sigma_k^2))``. The sum over z is exact,

      log p(x) = logsumexp_k [ log pi_k + log N(x; mu_k, diag(sigma_k^2)) ],

  and the log-sum-exp form is the numerically stable way to compute it (chapter 0, assignment hw0).
  Parameters are unconstrained: ``log_stds`` (sigma = exp(log_stds)) and ``logits`` (pi = softmax(logits)).
  It is trained by gradient descent on ``loss`` or by EM (``fit_em``, Dempster et al. 1977).
* Probabilistic PCA (:class:`ProbabilisticPCA`, Tipping & Bishop 1999): z ~ N(0, I_L), x = W z + mu + eps,
  eps ~ N(0, sigma^2 I_D). Everything is Gaussian, so log p(x) and the posterior p(z|x) are exact: the
  oracle on which the ELBO and the IWAE bound are checked.
* Variational autoencoder (:class:`VAE`, Kingma & Welling 2014; Rezende et al. 2014): z ~ N(0, I_L) and a
  neural decoder p_theta(x|z) (:class:`BernoulliDecoder`, :class:`CategoricalDecoder`,
  :class:`GaussianDecoder`). An encoder q_phi(z|x) = N(m(x), diag(exp(v(x)))) (:class:`GaussianEncoder`)
  amortizes inference, and both are trained on the evidence lower bound (ELBO)

      log p(x) >= ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))
                          = log p(x) - KL(q(z|x) || p(z|x)),

  with the expectation estimated by one reparameterized sample z = m + exp(v/2) * eps, eps ~ N(0, I).
  The importance-weighted bound (IWAE, Burda et al. 2016) with K samples z_k ~ q(z|x),

      L_K(x) = log (1/K) sum_k p(x, z_k) / q(z_k|x),   ELBO = L_1 <= L_K <= L_{K+1} -> log p(x),

  is the course's estimate of log p(x) for a VAE.

Gaussians are parameterized by a mean and a *log-variance* ``log_var`` throughout; :func:`gaussian_log_prob`,
:func:`reparameterize` and :func:`gaussian_kl` are the one implementation of that math.
"""

import contextlib
import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "mixture_log_prob",
    "mixture_sample",
    "GaussianMixture",
    "gaussian_log_prob",
    "reparameterize",
    "gaussian_kl",
    "ProbabilisticPCA",
    "GaussianEncoder",
    "BernoulliDecoder",
    "CategoricalDecoder",
    "GaussianDecoder",
    "VAE",
    "vae_for_digits",
]

_LOG_TWO_PI = math.log(2.0 * math.pi)
#: EM keeps every variance at least this large (a component collapsing onto one point has an infinite likelihood).
EM_VARIANCE_FLOOR = 1e-6
#: ... and every mixture weight at least this large (an empty component keeps a finite log weight).
EM_WEIGHT_FLOOR = 1e-12
#: ``VAE.log_prob`` estimates log p(x) by the IWAE bound with this many importance samples.
DEFAULT_IWAE_SAMPLES = 100
#: ``VAE.iwae_bound`` evaluates the decoder on chunks of at most this many (sample, example, pixel) triples.
IWAE_CHUNK_ELEMENTS = 2**20


# ----------------------------------------------------------------------------------------------------
# Argument checks.


def _check_tensor(value, name, *, dims=None, floating=True):
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if dims is not None and value.dim() not in dims:
        raise ValueError(f"{name} must have {' or '.join(map(str, dims))} dimensions, got shape {tuple(value.shape)}")


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")


def _check_count(n, name="num_samples"):
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, got {type(n).__name__} {n!r}")
    if n < 0:
        raise ValueError(f"{name} must be a non-negative int, got {n}")


def _check_generator(generator):
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _check_same_shape(a, a_name, b, b_name):
    if a.shape != b.shape:
        raise ValueError(f"{b_name} must have the shape of {a_name} {tuple(a.shape)}, got {tuple(b.shape)}")


def _standard_normal(shape, like, generator=None):
    """eps ~ N(0, I) of ``shape`` with the dtype and device of ``like`` (drawn on the CPU when a generator is given)."""
    if generator is None:
        return torch.randn(shape, dtype=like.dtype, device=like.device)
    return torch.randn(shape, generator=generator, dtype=like.dtype).to(like.device)


# ----------------------------------------------------------------------------------------------------
# Gaussian mixture.


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


def _mixture_joint_log_prob(x, means, log_stds, logits):
    """log p(x, z=k) = log pi_k + log N(x; mu_k, diag(sigma_k^2)) for x (N, D) -> (N, K)."""
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]  # (N, K, D) standardized
    log_normal = -0.5 * (z**2 + _LOG_TWO_PI).sum(-1) - log_stds.sum(-1)[None]  # (N, K)
    return log_normal + torch.log_softmax(logits, dim=0)[None]  # (N, K)


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
    return torch.logsumexp(_mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N,)


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
    ``sample(n) -> (n, D)`` and ``loss(x)`` (the mean negative log-likelihood). It can be trained by
    gradient descent on ``loss`` or by expectation-maximization (``fit_em``).
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

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, {self.dim}), got {shape}")

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

    def log_prob(self, x):
        """log p(x) for each row of x (N, D) -> (N,)."""
        return mixture_log_prob(x, self.means, self.log_stds, self.logits)

    def responsibilities(self, x):
        """The posterior over components, r_nk = p(z=k | x_n) = pi_k N(x_n; mu_k, sigma_k^2) / p(x_n).

        x (N, D) -> (N, K); every row sums to 1."""
        _check_mixture_args(self.means, self.log_stds, self.logits, x)
        return torch.softmax(_mixture_joint_log_prob(x, self.means, self.log_stds, self.logits), dim=1)

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
        _check_positive_int(num_steps, "num_steps")
        if tol is not None and not (isinstance(tol, (int, float)) and tol >= 0):
            raise ValueError(f"tol must be None or a non-negative number, got {tol!r}")
        x = x.detach().to(self.means.device, torch.float64)  # (N, D)
        means, log_stds, logits = (p.detach().double() for p in (self.means, self.log_stds, self.logits))
        log_likelihoods = []
        for _ in range(num_steps):
            r = torch.softmax(_mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N, K) E-step
            counts = r.sum(0)  # (K,) N_k
            safe_counts = counts.clamp(min=torch.finfo(torch.float64).tiny)[:, None]  # (K, 1)
            new_means = (r.T @ x) / safe_counts  # (K, D)
            means = torch.where(counts[:, None] > 0, new_means, means)  # an empty component stays put
            variances = (r.T @ x**2) / safe_counts - means**2  # (K, D) E_r[x^2] - mu^2
            log_stds = 0.5 * torch.log(variances.clamp(min=EM_VARIANCE_FLOOR))
            logits = torch.log((counts / len(x)).clamp(min=EM_WEIGHT_FLOOR))
            log_p = torch.logsumexp(_mixture_joint_log_prob(x, means, log_stds, logits), dim=1)  # (N,)
            log_likelihoods.append(log_p.mean().item())
            if tol is not None and len(log_likelihoods) > 1 and log_likelihoods[-1] - log_likelihoods[-2] < tol:
                break
        for parameter, value in zip((self.means, self.log_stds, self.logits), (means, log_stds, logits)):
            parameter.copy_(value)
        return log_likelihoods

    @torch.no_grad()
    def sample(self, num_samples, generator=None):
        """Draw (num_samples, D) points by ancestral sampling."""
        return mixture_sample(num_samples, self.means, self.log_stds, self.logits, generator=generator)

    def loss(self, x):
        """Training objective: negative log-likelihood in nats per example, -mean_i log p(x_i)."""
        return -self.log_prob(x).mean()


# ----------------------------------------------------------------------------------------------------
# Diagonal Gaussians: density, reparameterized sampling, KL divergence.


def gaussian_log_prob(x, mean, log_var):
    """log N(x; mean, diag(exp(log_var))) summed over the last dimension:

        -0.5 * sum_l [ log(2 pi) + log_var_l + (x_l - mean_l)^2 / exp(log_var_l) ].

    Args:
        x, mean, log_var: tensors broadcastable to a common shape (..., L), e.g. samples (K, N, L) with
            parameters (N, L).

    Returns:
        log density, shape (...,) of the broadcast shape without its last dimension.
    """
    for name, value in (("x", x), ("mean", mean), ("log_var", log_var)):
        _check_tensor(value, name)
    return -0.5 * (_LOG_TWO_PI + log_var + (x - mean) ** 2 * torch.exp(-log_var)).sum(-1)


def reparameterize(mean, log_var, num_samples=None, generator=None):
    """z = mean + exp(0.5 * log_var) * eps with eps ~ N(0, I): a sample of N(mean, diag(exp(log_var)))
    that is a differentiable function of (mean, log_var) (the reparameterization trick).

    Args:
        mean, log_var: parameters of q, shape (N, L) (any shape (..., L) works).
        num_samples: None for one sample per row, shape (N, L); an int K for K samples, shape (K, N, L).
        generator: optional ``torch.Generator`` for eps (drawn on the CPU, then moved).
    """
    _check_tensor(mean, "mean")
    _check_tensor(log_var, "log_var")
    _check_same_shape(mean, "mean", log_var, "log_var")
    _check_generator(generator)
    shape = mean.shape
    if num_samples is not None:
        _check_positive_int(num_samples, "num_samples")
        shape = (num_samples, *shape)
    eps = _standard_normal(shape, mean, generator)  # (N, L) or (K, N, L)
    return mean + torch.exp(0.5 * log_var) * eps


def _gaussian_kl_terms(mean, log_var, prior_mean=None, prior_log_var=None):
    """KL per dimension (..., L) of N(mean, exp(log_var)) from N(prior_mean, exp(prior_log_var))."""
    _check_tensor(mean, "mean")
    _check_tensor(log_var, "log_var")
    _check_same_shape(mean, "mean", log_var, "log_var")
    if prior_mean is None and prior_log_var is None:  # the standard normal prior
        return 0.5 * (torch.exp(log_var) + mean**2 - 1.0 - log_var)
    prior_mean = torch.zeros_like(mean) if prior_mean is None else prior_mean
    prior_log_var = torch.zeros_like(log_var) if prior_log_var is None else prior_log_var
    _check_tensor(prior_mean, "prior_mean")
    _check_tensor(prior_log_var, "prior_log_var")
    return 0.5 * (prior_log_var - log_var - 1.0
                  + (torch.exp(log_var) + (mean - prior_mean) ** 2) * torch.exp(-prior_log_var))


def gaussian_kl(mean, log_var, prior_mean=None, prior_log_var=None):
    """Closed-form KL(q || p) between diagonal Gaussians q = N(mean, e^log_var), p = N(prior_mean, e^prior_log_var):

        KL = 0.5 * sum_l [ prior_log_var - log_var - 1 + (e^log_var + (mean - prior_mean)^2) / e^prior_log_var ],

    which for the default prior p = N(0, I) is 0.5 * sum_l (e^log_var + mean^2 - 1 - log_var).

    Args:
        mean, log_var: parameters of q, shape (..., L).
        prior_mean, prior_log_var: parameters of p, broadcastable to (..., L); None for 0.

    Returns:
        KL in nats, shape (...,).
    """
    return _gaussian_kl_terms(mean, log_var, prior_mean, prior_log_var).sum(-1)


# ----------------------------------------------------------------------------------------------------
# Probabilistic PCA: the linear-Gaussian oracle.


class ProbabilisticPCA(nn.Module):
    """Probabilistic PCA (Tipping & Bishop 1999): z ~ N(0, I_L), x = W z + mu + eps, eps ~ N(0, sigma^2 I_D).

    Everything is Gaussian, so the quantities a VAE can only bound are exact here:

        p(x)     = N(x; mu, C),               C = W W^T + sigma^2 I_D                    (log_prob)
        p(z | x) = N(z; M^-1 W^T (x - mu), sigma^2 M^-1),   M = W^T W + sigma^2 I_L      (posterior)

    The posterior covariance is the same for every x; it is diagonal exactly when W has orthogonal
    columns, which is the case for ``fit_closed_form`` and for the default initialization, so a
    *diagonal* Gaussian q (what a VAE encoder outputs) can then match the posterior exactly and the
    ELBO equals log p(x) (log p(x) - ELBO = KL(q || p(z|x)), see ``posterior_kl``).

    Build it as ``ProbabilisticPCA(data_dim, latent_dim)`` (W with orthogonal columns, mu = 0, sigma = 1)
    or from given tensors ``ProbabilisticPCA(W=W, mu=mu, log_sigma=log_sigma)``, W (D, L), mu (D,),
    log_sigma a scalar; these are the (learnable) parameters ``W``, ``mu``, ``log_sigma``.
    """

    def __init__(self, data_dim=None, latent_dim=None, *, W=None, mu=None, log_sigma=None):
        super().__init__()
        if W is None:
            _check_positive_int(data_dim, "data_dim")
            _check_positive_int(latent_dim, "latent_dim")
            if latent_dim > data_dim:
                raise ValueError(f"latent_dim must be <= data_dim = {data_dim}, got {latent_dim}")
            W = torch.linalg.qr(torch.randn(data_dim, latent_dim))[0] * torch.linspace(2.0, 1.0, latent_dim)
        else:
            _check_tensor(W, "W", dims=(2,))
            if data_dim not in (None, W.shape[0]) or latent_dim not in (None, W.shape[1]):
                raise ValueError(f"W of shape {tuple(W.shape)} does not match data_dim={data_dim}, "
                                 f"latent_dim={latent_dim}")
        data_dim, latent_dim = W.shape
        mu = torch.zeros(data_dim, dtype=W.dtype) if mu is None else mu
        log_sigma = torch.zeros((), dtype=W.dtype) if log_sigma is None else torch.as_tensor(log_sigma, dtype=W.dtype)
        _check_tensor(mu, "mu")
        if mu.shape != (data_dim,):
            raise ValueError(f"mu must have shape (D,) = ({data_dim},), got {tuple(mu.shape)}")
        if log_sigma.numel() != 1:
            raise ValueError(f"log_sigma must be a scalar, got shape {tuple(log_sigma.shape)}")
        self.data_dim, self.latent_dim = data_dim, latent_dim
        self.W = nn.Parameter(W.detach().clone())  # (D, L)
        self.mu = nn.Parameter(mu.detach().clone().to(W.dtype))  # (D,)
        self.log_sigma = nn.Parameter(log_sigma.detach().clone().reshape(()))  # ()

    @classmethod
    def fit_closed_form(cls, x, latent_dim):
        """Maximum-likelihood PPCA of data x (N, D) (Tipping & Bishop 1999, eqs. 7-8).

        With the sample covariance S = (1/N) sum_n (x_n - xbar)(x_n - xbar)^T, eigenvalues
        lambda_1 >= ... >= lambda_D and eigenvectors U:  mu = xbar,
        sigma^2 = mean of the D - L discarded eigenvalues, W = U_L (Lambda_L - sigma^2 I)^{1/2}
        (the rotation R = I, so the columns of W are orthogonal).
        """
        _check_tensor(x, "x", dims=(2,))
        _check_positive_int(latent_dim, "latent_dim")
        num_points, data_dim = x.shape
        if latent_dim >= data_dim:
            raise ValueError(f"latent_dim must be < data_dim = {data_dim} (sigma^2 is the mean of the "
                             f"discarded eigenvalues), got {latent_dim}")
        if num_points < 2:
            raise ValueError(f"need at least 2 points, got x of shape {tuple(x.shape)}")
        x64 = x.detach().double()
        mean = x64.mean(0)  # (D,)
        centred = x64 - mean
        eigenvalues, eigenvectors = torch.linalg.eigh(centred.T @ centred / num_points)  # ascending
        eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)
        sigma2 = eigenvalues[latent_dim:].mean().clamp(min=1e-12)
        W = eigenvectors[:, :latent_dim] * (eigenvalues[:latent_dim] - sigma2).clamp(min=0).sqrt()  # (D, L)
        return cls(W=W.to(x.dtype), mu=mean.to(x.dtype), log_sigma=(0.5 * sigma2.log()).to(x.dtype))

    def _check_data(self, x):
        _check_tensor(x, "x")
        if x.dim() < 1 or x.shape[-1] != self.data_dim:
            raise ValueError(f"x must have shape (N, {self.data_dim}), got {tuple(x.shape)}")

    def _check_latent(self, z, name="z"):
        _check_tensor(z, name)
        if z.dim() < 1 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"{name} must have shape (..., N, {self.latent_dim}), got {tuple(z.shape)}")

    def marginal_covariance(self):
        """C = W W^T + sigma^2 I_D, shape (D, D)."""
        eye = torch.eye(self.data_dim, dtype=self.W.dtype, device=self.W.device)
        return self.W @ self.W.T + torch.exp(2 * self.log_sigma) * eye

    def log_prob(self, x):
        """Exact log p(x) = log N(x; mu, W W^T + sigma^2 I) for x (N, D) -> (N,)."""
        self._check_data(x)
        marginal = torch.distributions.MultivariateNormal(self.mu, covariance_matrix=self.marginal_covariance())
        return marginal.log_prob(x)

    def loss(self, x):
        """Negative log-likelihood in nats per example."""
        return -self.log_prob(x).mean()

    def posterior(self, x):
        """Exact posterior p(z|x) = N(mean, cov): mean = M^-1 W^T (x - mu) (N, L), cov = sigma^2 M^-1 (L, L)."""
        self._check_data(x)
        sigma2 = torch.exp(2 * self.log_sigma)
        M = self.W.T @ self.W + sigma2 * torch.eye(self.latent_dim, dtype=self.W.dtype, device=self.W.device)  # (L, L)
        M_inv = torch.linalg.inv(M)
        mean = (x - self.mu) @ self.W @ M_inv.T  # (N, L)
        return mean, sigma2 * M_inv

    def log_likelihood(self, x, z):
        """log p(x|z) = log N(x; W z + mu, sigma^2 I) for x (N, D), z (..., N, L) -> (..., N)."""
        self._check_data(x)
        self._check_latent(z)
        x_mean = z @ self.W.T + self.mu  # (..., N, D)
        return gaussian_log_prob(x, x_mean, (2 * self.log_sigma).expand(self.data_dim))

    def log_joint(self, x, z):
        """log p(x, z) = log p(x|z) + log p(z) for x (N, D), z (..., N, L) -> (..., N)."""
        return self.log_likelihood(x, z) + gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))

    def elbo(self, x, q_mean, q_log_var, num_samples=None, generator=None):
        """ELBO(x; q) = E_q[log p(x|z)] - KL(q || N(0, I)) for q = N(q_mean, diag(exp(q_log_var))), -> (N,).

        ``num_samples=None`` computes it exactly:
            E_q[log p(x|z)] = -D/2 log(2 pi sigma^2) - (||x - W m - mu||^2 + sum_l v_l ||W_l||^2) / (2 sigma^2),
        with m = q_mean, v = exp(q_log_var) and W_l the l-th column of W. ``num_samples=K`` gives the Monte
        Carlo estimate (1/K) sum_k [log p(x, z_k) - log q(z_k)], z_k ~ q (reparameterized).

        Args:
            x: data (N, D); q_mean, q_log_var: (N, L).
        """
        self._check_data(x)
        self._check_latent(q_mean, "q_mean")
        _check_same_shape(q_mean, "q_mean", q_log_var, "q_log_var")
        if num_samples is not None:
            z = reparameterize(q_mean, q_log_var, num_samples, generator)  # (K, N, L)
            return (self.log_joint(x, z) - gaussian_log_prob(z, q_mean, q_log_var)).mean(0)
        sigma2 = torch.exp(2 * self.log_sigma)
        residual = x - q_mean @ self.W.T - self.mu  # (N, D)
        spread = (torch.exp(q_log_var) * (self.W**2).sum(0)).sum(-1)  # (N,) tr(W diag(v) W^T)
        expected_log_likelihood = (-0.5 * self.data_dim * (_LOG_TWO_PI + torch.log(sigma2))
                                   - 0.5 * ((residual**2).sum(-1) + spread) / sigma2)
        return expected_log_likelihood - gaussian_kl(q_mean, q_log_var)

    def posterior_kl(self, x, q_mean, q_log_var):
        """KL(q || p(z|x)) for a diagonal q against the exact (full-covariance) posterior, (N,).

        Equals log p(x) - ELBO(x; q), the gap of the bound:
            KL = 0.5 [tr(S^-1 V) + (m_p - m)^T S^-1 (m_p - m) - L + log det S - sum_l log v_l],
        with q = N(m, V = diag(v)) and p(z|x) = N(m_p, S).
        """
        self._check_latent(q_mean, "q_mean")
        _check_same_shape(q_mean, "q_mean", q_log_var, "q_log_var")
        post_mean, post_cov = self.posterior(x)
        precision = torch.linalg.inv(post_cov)  # (L, L)
        diff = post_mean - q_mean  # (N, L)
        trace = (torch.exp(q_log_var) * precision.diagonal()).sum(-1)  # (N,)
        mahalanobis = ((diff @ precision) * diff).sum(-1)  # (N,)
        return 0.5 * (trace + mahalanobis - self.latent_dim + torch.logdet(post_cov) - q_log_var.sum(-1))

    @torch.no_grad()
    def as_vae(self):
        """This model as a :class:`VAE` with linear networks: decoder p(x|z) = N(W z + mu, sigma^2 I) (fixed)
        and encoder q(z|x) = N(A (x - mu), diag(v)) set to the best diagonal Gaussian for the exact posterior
        N(m_p, S): the posterior mean A = M^-1 W^T and v_l = 1 / (S^-1)_ll (= S_ll when S is diagonal,
        then q = p(z|x) and ELBO = IWAE bound = log p(x)). A test bed for the VAE's bounds."""
        latent_dim, data_dim = self.latent_dim, self.data_dim
        zeros = torch.zeros(1, data_dim, dtype=self.W.dtype, device=self.W.device)
        _, post_cov = self.posterior(zeros)
        encoder_net = nn.Linear(data_dim, 2 * latent_dim).to(self.W)
        mean_map = self.posterior(torch.eye(data_dim, dtype=self.W.dtype, device=self.W.device) + self.mu)[0]  # (D, L)
        encoder_net.weight.copy_(torch.cat([mean_map.T, torch.zeros_like(mean_map.T)]))
        encoder_net.bias.copy_(torch.cat([-self.mu @ mean_map, -torch.linalg.inv(post_cov).diagonal().log()]))
        decoder_net = nn.Linear(latent_dim, data_dim).to(self.W)
        decoder_net.weight.copy_(self.W)
        decoder_net.bias.copy_(self.mu)
        decoder = GaussianDecoder(decoder_net, learn_variance=False, log_var=2 * self.log_sigma.item()).to(self.W)
        return VAE(GaussianEncoder(encoder_net), decoder, latent_dim, data_dim=data_dim)

    @torch.no_grad()
    def sample(self, num_samples, generator=None):
        """Ancestral sampling: z ~ N(0, I), x = W z + mu + sigma eps. Returns (n, D)."""
        _check_count(num_samples)
        _check_generator(generator)
        z = _standard_normal((num_samples, self.latent_dim), self.W, generator)  # (n, L)
        eps = _standard_normal((num_samples, self.data_dim), self.W, generator)  # (n, D)
        return z @ self.W.T + self.mu + torch.exp(self.log_sigma) * eps


# ----------------------------------------------------------------------------------------------------
# Encoders and decoders of a VAE: any network, wrapped to give a distribution.


class GaussianEncoder(nn.Module):
    """Amortized posterior q(z|x) = N(mean(x), diag(exp(log_var(x)))).

    ``net`` maps x (N, D) to (N, 2L); the first L outputs are the mean, the last L the log-variance.
    """

    def __init__(self, net):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
        self.net = net

    def forward(self, x):
        """x (N, D) -> (mean (N, L), log_var (N, L))."""
        out = self.net(x)  # (N, 2L)
        if out.shape[-1] % 2:
            raise ValueError(f"the encoder net must output 2L features (mean and log-variance), got {out.shape[-1]}")
        mean, log_var = out.chunk(2, dim=-1)
        return mean, log_var


class _Decoder(nn.Module):
    """Base of the decoders: ``net`` maps z (..., N, L) to the parameters of p(x|z) over D pixels."""

    def __init__(self, net):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
        self.net = net

    def _check_data(self, x, out_features):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor (N, D), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != out_features:
            raise ValueError(f"x must have shape (N, {out_features}) to match the decoder, got {tuple(x.shape)}")


class BernoulliDecoder(_Decoder):
    """p(x|z) = prod_d Bernoulli(x_d; sigmoid(logits_d(z))) for binary x.

    ``net`` maps z (..., N, L) to logits (..., N, D).
    """

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D) of 0/1, z (..., N, L) -> (..., N)."""
        logits = self.net(z)  # (..., N, D)
        self._check_data(x, logits.shape[-1])
        if x.numel() and not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("x must hold binary values 0/1 for a BernoulliDecoder")
        x = x.to(logits.dtype).expand_as(logits)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    def mean(self, z):
        """E[x|z] = sigmoid(logits), (..., N, D)."""
        return torch.sigmoid(self.net(z))

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), float 0/1 of shape (..., N, D)."""
        probs = self.mean(z)
        return (torch.rand(probs.shape, generator=generator).to(probs.device) < probs).to(probs.dtype)


class CategoricalDecoder(_Decoder):
    """p(x|z) = prod_d Categorical(x_d; softmax(logits_d(z))) over levels 0..K-1 (K = ``num_categories``).

    ``net`` maps z (..., N, L) to (..., N, D * K) logits (pixel-major: the K logits of pixel d are adjacent).
    """

    def __init__(self, net, num_categories=17):
        super().__init__(net)
        _check_positive_int(num_categories, "num_categories")
        self.num_categories = num_categories

    def logits(self, z):
        """Logits of every pixel, z (..., N, L) -> (..., N, D, K)."""
        out = self.net(z)
        if out.shape[-1] % self.num_categories:
            raise ValueError(f"the decoder net must output D * {self.num_categories} features, got {out.shape[-1]}")
        return out.unflatten(-1, (-1, self.num_categories))

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D) of integer levels (float or long), z (..., N, L) -> (..., N)."""
        logits = self.logits(z)  # (..., N, D, K)
        self._check_data(x, logits.shape[-2])
        if x.is_floating_point() and not bool((x == torch.round(x)).all()):
            raise ValueError(f"x must hold integer levels 0..{self.num_categories - 1}, got non-integers")
        x = x.long()
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_categories):
            raise ValueError(f"x must hold levels 0..{self.num_categories - 1}, got {int(x.min())}..{int(x.max())}")
        index = x.expand(logits.shape[:-1]).unsqueeze(-1)  # (..., N, D, 1)
        return torch.log_softmax(logits, dim=-1).gather(-1, index).squeeze(-1).sum(-1)

    def mean(self, z):
        """E[x|z] = sum_k k p(x_d = k | z), (..., N, D) (the expected level, for pictures)."""
        probs = torch.softmax(self.logits(z), dim=-1)  # (..., N, D, K)
        levels = torch.arange(self.num_categories, dtype=probs.dtype, device=probs.device)
        return probs @ levels

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), float levels of shape (..., N, D) (inverse-CDF sampling with CPU uniforms)."""
        probs = torch.softmax(self.logits(z), dim=-1)  # (..., N, D, K)
        uniform = torch.rand(probs.shape[:-1], generator=generator).to(probs.device)  # (..., N, D)
        index = (probs.cumsum(-1) < uniform.unsqueeze(-1)).sum(-1).clamp(max=self.num_categories - 1)
        return index.to(probs.dtype)


class GaussianDecoder(_Decoder):
    """p(x|z) = N(x; mean(z), sigma^2 I) for real x; ``net``: z (..., N, L) -> mean (..., N, D).

    One variance for all pixels: with ``learn_variance=True`` its log, ``log_var`` (a scalar, starting at
    ``log_var``), is learned with the rest of the model; otherwise it stays fixed (default 0: unit variance,
    where -log p(x|z) is half the squared error plus a constant). A variance shared by all pixels is
    more stable than one predicted per pixel from z, which can shrink without bound on constant pixels.
    """

    def __init__(self, net, learn_variance=True, log_var=0.0):
        super().__init__(net)
        self.learn_variance = bool(learn_variance)
        log_var = torch.tensor(float(log_var))
        if self.learn_variance:
            self.log_var = nn.Parameter(log_var)
        else:
            self.register_buffer("log_var", log_var)

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D), z (..., N, L) -> (..., N)."""
        mean = self.net(z)  # (..., N, D)
        self._check_data(x, mean.shape[-1])
        return gaussian_log_prob(x.to(mean.dtype), mean, self.log_var.expand(mean.shape[-1]))

    def mean(self, z):
        """E[x|z], (..., N, D)."""
        return self.net(z)

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), (..., N, D)."""
        mean = self.net(z)
        return mean + torch.exp(0.5 * self.log_var) * _standard_normal(mean.shape, mean, generator)


# ----------------------------------------------------------------------------------------------------
# The variational autoencoder.


class VAE(nn.Module):
    """Variational autoencoder: prior p(z) = N(0, I_L), decoder p(x|z), encoder q(z|x) = N(m(x), diag(e^v(x))).

    Trained on the ELBO (Kingma & Welling 2014), evaluated with the IWAE bound (Burda et al. 2016):

        ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))                    (elbo, elbo_terms)
        L_K(x)  = log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q    (iwae_bound; log_prob)

    ``loss(x) = -mean(E_q[log p(x|z)] - beta_t KL)``: in training mode the KL term is weighted by
    beta_t = beta * min(1, t / kl_warmup_steps), t counting the training steps (the calls of ``loss``
    with gradients enabled; a KL warm-up, Bowman et al. 2016, against posterior collapse); in eval mode
    (validation) the weight is 1, so the validation loss is exactly -ELBO.

    Args:
        encoder: a :class:`GaussianEncoder` (or any module x (N, D) -> (mean, log_var), each (N, L)).
        decoder: a :class:`BernoulliDecoder`, :class:`CategoricalDecoder` or :class:`GaussianDecoder`
            (or any module with ``log_prob(x, z)``, ``mean(z)``, ``sample(z, generator)``).
        latent_dim: L.
        beta: KL weight of the training loss (1: the ELBO; beta > 1: a beta-VAE).
        kl_warmup_steps: training steps over which the KL weight rises linearly from 0 to ``beta`` (0: none).
        data_dim: D, checked against the data when given (None: the networks' own shape errors).
    """

    def __init__(self, encoder, decoder, latent_dim, *, beta=1.0, kl_warmup_steps=0, data_dim=None):
        super().__init__()
        for name, value in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(value, nn.Module):
                raise TypeError(f"{name} must be an nn.Module, got {type(value).__name__}")
        _check_positive_int(latent_dim, "latent_dim")
        if isinstance(kl_warmup_steps, bool) or not isinstance(kl_warmup_steps, int) or kl_warmup_steps < 0:
            raise ValueError(f"kl_warmup_steps must be a non-negative int, got {kl_warmup_steps!r}")
        if data_dim is not None:
            _check_positive_int(data_dim, "data_dim")
        self.encoder, self.decoder, self.latent_dim, self.data_dim = encoder, decoder, latent_dim, data_dim
        self.beta = float(beta)
        self.kl_warmup_steps = kl_warmup_steps
        self.training_steps = 0

    def _parameter(self):
        return next(self.parameters())

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, D), got {type(x).__name__}")
        if x.dim() != 2 or (self.data_dim is not None and x.shape[1] != self.data_dim):
            expected = "(N, D)" if self.data_dim is None else f"(N, {self.data_dim})"
            raise ValueError(f"x must have shape {expected}, got {tuple(x.shape)}")
        return x.to(self._parameter().device)

    def encode(self, x):
        """Parameters of q(z|x): x (N, D) -> (mean (N, L), log_var (N, L))."""
        x = self._check_data(x)
        mean, log_var = self.encoder(x.to(self._parameter().dtype))
        if mean.shape != (len(x), self.latent_dim) or log_var.shape != mean.shape:
            raise ValueError(f"the encoder must return mean and log_var of shape (N, L) = ({len(x)}, "
                             f"{self.latent_dim}), got {tuple(mean.shape)} and {tuple(log_var.shape)}")
        return mean, log_var

    def decode(self, z):
        """E[x|z] of the decoder (e.g. the expected intensity of every pixel), z (..., N, L) -> (..., N, D)."""
        _check_tensor(z, "z")
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have shape (..., N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder.mean(z)

    def elbo_terms(self, x, generator=None):
        """The two terms of the ELBO with one reparameterized sample z ~ q(z|x):
        reconstruction log p(x|z) (N,) and KL(q(z|x) || N(0, I)) in closed form (N,)."""
        x = self._check_data(x)
        mean, log_var = self.encode(x)  # (N, L) each
        z = reparameterize(mean, log_var, generator=generator)  # (N, L)
        return self.decoder.log_prob(x, z), gaussian_kl(mean, log_var)

    def elbo(self, x, generator=None):
        """ELBO(x) = log p(x|z) - KL(q(z|x) || p(z)), z ~ q(z|x) (one sample), x (N, D) -> (N,)."""
        reconstruction, kl = self.elbo_terms(x, generator)
        return reconstruction - kl

    def kl_weight(self):
        """The weight beta_t of the KL term in the training loss now (1 in eval mode)."""
        if not self.training:
            return 1.0
        if self.kl_warmup_steps == 0:
            return self.beta
        return self.beta * min(1.0, self.training_steps / self.kl_warmup_steps)

    def loss(self, x):
        """Training objective, nats per example: -mean_n [log p(x_n|z_n) - beta_t KL_n] (= -ELBO in eval mode)."""
        reconstruction, kl = self.elbo_terms(x)
        loss = -(reconstruction - self.kl_weight() * kl).mean()
        if self.training and torch.is_grad_enabled():
            self.training_steps += 1
        return loss

    def iwae_bound(self, x, k=DEFAULT_IWAE_SAMPLES, generator=None):
        """Importance-weighted bound L_K(x) = logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K.

        z_1..z_K ~ q(z|x) independently. L_1 = ELBO (in expectation), E[L_K] grows with K and tends to
        log p(x). The K samples are processed in chunks (at most ``IWAE_CHUNK_ELEMENTS`` sample x example
        x pixel entries), so K = 1000 on the 447 test digits fits in memory. Wrap calls in
        ``torch.no_grad()`` for evaluation.

        Args:
            x: data (N, D).
            k: number of importance samples K.
            generator: optional ``torch.Generator`` for the samples.

        Returns:
            L_K(x), shape (N,).
        """
        x = self._check_data(x)
        _check_positive_int(k, "k")
        _check_generator(generator)
        mean, log_var = self.encode(x)  # (N, L) each
        chunk = max(1, IWAE_CHUNK_ELEMENTS // max(1, x.numel()))
        log_weights = []
        for start in range(0, k, chunk):
            z = reparameterize(mean, log_var, min(chunk, k - start), generator)  # (C, N, L)
            log_prior = gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))  # (C, N)
            log_weights.append(self.decoder.log_prob(x, z) + log_prior - gaussian_log_prob(z, mean, log_var))
        return torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(k)  # (N,)

    def log_prob(self, x, k=DEFAULT_IWAE_SAMPLES):
        """An estimate of log p(x), (N,): the IWAE bound with K = ``k`` samples. It is a stochastic
        *lower bound* in expectation, not the exact log-likelihood (which a VAE cannot compute)."""
        return self.iwae_bound(x, k)

    # The three methods below are for looking at a model: they run without gradients and in eval mode
    # (no dropout), restoring the previous mode afterwards.

    @torch.no_grad()
    def sample(self, n, generator=None):
        """Ancestral sampling z ~ N(0, I), x ~ p(x|z): n examples, (n, D)."""
        _check_count(n, "n")
        z = _standard_normal((n, self.latent_dim), self._parameter(), generator)  # (n, L)
        with _eval_mode(self):
            return self.decoder.sample(z, generator=generator)

    @torch.no_grad()
    def reconstruct(self, x):
        """E[x | z = mean of q(z|x)]: the decoder's mean at the encoder's mean, x (N, D) -> (N, D)."""
        with _eval_mode(self):
            return self.decoder.mean(self.encode(x)[0])

    @torch.no_grad()
    def kl_per_dimension(self, x):
        """Average KL(q(z_l|x) || N(0, 1)) of every latent dimension over the data x (N, D), shape (L,).

        A dimension whose KL is ~0 carries no information about x: it has *collapsed* to the prior.
        """
        with _eval_mode(self):
            mean, log_var = self.encode(x)
        return _gaussian_kl_terms(mean, log_var).mean(0)  # (L,)


@contextlib.contextmanager
def _eval_mode(module):
    """Put ``module`` in eval mode for the block, then restore its previous mode."""
    was_training = module.training
    module.eval()
    try:
        yield
    finally:
        module.train(was_training)


class _Affine(nn.Module):
    """x -> scale * x + shift (maps pixel levels to the scale an encoder works well with)."""

    def __init__(self, scale, shift):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x):
        return self.scale * x + self.shift

    def extra_repr(self):
        return f"scale={self.scale}, shift={self.shift}"


class _LevelProfileLogits(nn.Module):
    """Output layer for D pixels x K levels: logits_dk = sum_r u_dr(h) e_rk + b_dk, with u = A h + c.

    Each pixel's K logits mix R learned *level profiles* e_r (shared by all pixels) with weights that
    depend on the input, plus a per-pixel bias. With R << K it has far fewer weights than a full
    Linear(H, D K) and generalizes better from 1000 images, while still allowing any categorical
    distribution (the bias) over the levels. h (..., H) -> logits (..., D * K).
    """

    def __init__(self, in_features, num_pixels, num_categories, rank):
        super().__init__()
        self.num_pixels, self.rank = num_pixels, rank
        self.pixel_weights = nn.Linear(in_features, num_pixels * rank)  # A, c
        self.level_profiles = nn.Parameter(torch.randn(rank, num_categories) / math.sqrt(rank))  # (R, K)
        self.bias = nn.Parameter(torch.zeros(num_pixels, num_categories))  # (D, K)

    def forward(self, h):
        u = self.pixel_weights(h).unflatten(-1, (self.num_pixels, self.rank))  # (..., D, R)
        return (u @ self.level_profiles + self.bias).flatten(-2)  # (..., D * K)


def _mlp(in_features, hidden_features, out_features, num_hidden_layers, dropout, output_layer=None):
    """Linear -> ReLU (-> Dropout) repeated, then Linear (or ``output_layer``): the networks of ``vae_for_digits``."""
    layers, width = [], in_features
    for _ in range(num_hidden_layers):
        layers += [nn.Linear(width, hidden_features), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden_features
    return nn.Sequential(*layers, output_layer if output_layer is not None else nn.Linear(width, out_features))


#: The digits (dgm_utils.data.load_digits): 64 pixels with levels 0..16.
_DIGITS_DIM, _DIGITS_LEVELS = 64, 17
#: Default number of level profiles of the categorical decoder of ``vae_for_digits``.
LEVEL_RANK = 2


def vae_for_digits(latent_dim=16, hidden_features=256, decoder="categorical", *, num_hidden_layers=2,
                   dropout=0.2, level_rank=LEVEL_RANK, beta=1.0, kl_warmup_steps=0):
    """A VAE with MLP encoder and decoder for the 8x8 digits (``dgm_utils.data.load_digits``).

    The encoder sees intensities rescaled to [-1, 1]. ``decoder`` picks p(x|z):
    ``"categorical"`` -- 17 levels per pixel (data: ``load_digits()``, the course's benchmark setting);
    ``"bernoulli"`` -- binary pixels (data: ``load_digits(binarize=True)``);
    ``"gaussian"`` -- levels 0..16 as real numbers, one learned variance (a density, not comparable
    with the discrete likelihoods).

    Args:
        latent_dim: L.
        hidden_features: width of the hidden layers of both networks.
        decoder: ``"categorical"``, ``"bernoulli"`` or ``"gaussian"``.
        num_hidden_layers: hidden layers of each network.
        dropout: dropout after every hidden layer (a regularizer for 1000 training images).
        level_rank: categorical decoder only: the 17 logits of each pixel are built from this many
            learned level profiles (``_LevelProfileLogits``; far fewer weights, better test likelihood);
            None for a plain Linear(H, 64 * 17) output layer.
        beta, kl_warmup_steps: see :class:`VAE`.
    """
    _check_positive_int(latent_dim, "latent_dim")
    _check_positive_int(hidden_features, "hidden_features")
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    top_level = {"categorical": _DIGITS_LEVELS - 1, "bernoulli": 1, "gaussian": _DIGITS_LEVELS - 1}
    if decoder not in top_level:
        raise ValueError(f"decoder must be one of {', '.join(top_level)}, got {decoder!r}")
    encoder_net = nn.Sequential(_Affine(2.0 / top_level[decoder], -1.0),
                                _mlp(_DIGITS_DIM, hidden_features, 2 * latent_dim, num_hidden_layers, dropout))
    if decoder == "categorical":
        output_layer = None
        if level_rank is not None:
            _check_positive_int(level_rank, "level_rank")
            output_layer = _LevelProfileLogits(hidden_features, _DIGITS_DIM, _DIGITS_LEVELS, level_rank)
        decoder_module = CategoricalDecoder(_mlp(latent_dim, hidden_features, _DIGITS_DIM * _DIGITS_LEVELS,
                                                 num_hidden_layers, dropout, output_layer), _DIGITS_LEVELS)
    elif decoder == "bernoulli":
        decoder_module = BernoulliDecoder(_mlp(latent_dim, hidden_features, _DIGITS_DIM, num_hidden_layers, dropout))
    else:
        decoder_module = GaussianDecoder(_mlp(latent_dim, hidden_features, _DIGITS_DIM, num_hidden_layers, dropout))
    return VAE(GaussianEncoder(encoder_net), decoder_module, latent_dim, beta=beta, kl_warmup_steps=kl_warmup_steps,
               data_dim=_DIGITS_DIM)
