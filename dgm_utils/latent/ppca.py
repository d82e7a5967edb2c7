"""Probabilistic PCA (Tipping & Bishop 1999): the linear-Gaussian oracle on which the ELBO and the IWAE bound are
checked (chapter 3)."""

import torch
from torch import nn

from dgm_utils._validation import check_positive_int, check_same_shape, check_tensor
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import LOG_TWO_PI, standard_normal
from dgm_utils.latent.decoders import GaussianDecoder, GaussianEncoder
from dgm_utils.latent.gaussian import gaussian_kl, gaussian_log_prob, reparameterize
from dgm_utils.latent.vae import VAE

__all__ = ["ProbabilisticPCA"]


class ProbabilisticPCA(ExactLikelihoodModel):
    """Probabilistic PCA (Tipping & Bishop 1999): z ~ N(0, I_L), x = W z + mu + eps, eps ~ N(0, sigma^2 I_D).

    Everything is Gaussian, so the quantities a VAE can only bound are exact here:

        p(x)     = N(x; mu, C),               C = W W^T + sigma^2 I_D                    (log_prob)
        p(z | x) = N(z; M^-1 W^T (x - mu), sigma^2 M^-1),   M = W^T W + sigma^2 I_L      (posterior)

    The posterior covariance is the same for every x; it is diagonal exactly when W has orthogonal
    columns, which is the case for ``fit_closed_form`` and for the default initialization, so a
    *diagonal* Gaussian q (what a VAE encoder outputs) can then match the posterior exactly and the
    ELBO equals log p(x) (log p(x) - ELBO = KL(q || p(z|x)), see ``posterior_kl``).

    Build it as ``ProbabilisticPCA(num_features, latent_dim)`` (W with orthogonal columns, mu = 0, sigma = 1)
    or from given tensors ``ProbabilisticPCA(W=W, mu=mu, log_sigma=log_sigma)``, W (D, L), mu (D,),
    log_sigma a scalar; these are the (learnable) parameters ``W``, ``mu``, ``log_sigma``.
    """

    def __init__(self, num_features=None, latent_dim=None, *, W=None, mu=None, log_sigma=None):
        super().__init__()
        if W is None:
            check_positive_int(num_features, "num_features")
            check_positive_int(latent_dim, "latent_dim")
            if latent_dim > num_features:
                raise ValueError(f"latent_dim must be <= num_features = {num_features}, got {latent_dim}")
            W = torch.linalg.qr(torch.randn(num_features, latent_dim))[0] * torch.linspace(2.0, 1.0, latent_dim)
        else:
            check_tensor(W, "W", dims=(2,))
            if num_features not in (None, W.shape[0]) or latent_dim not in (None, W.shape[1]):
                raise ValueError(f"W of shape {tuple(W.shape)} does not match num_features={num_features}, "
                                 f"latent_dim={latent_dim}")
        num_features, latent_dim = W.shape
        mu = torch.zeros(num_features, dtype=W.dtype) if mu is None else mu
        log_sigma = torch.zeros((), dtype=W.dtype) if log_sigma is None else torch.as_tensor(log_sigma, dtype=W.dtype)
        check_tensor(mu, "mu")
        if mu.shape != (num_features,):
            raise ValueError(f"mu must have shape (D,) = ({num_features},), got {tuple(mu.shape)}")
        if log_sigma.numel() != 1:
            raise ValueError(f"log_sigma must be a scalar, got shape {tuple(log_sigma.shape)}")
        self.num_features, self.latent_dim = num_features, latent_dim
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
        check_tensor(x, "x", dims=(2,))
        check_positive_int(latent_dim, "latent_dim")
        num_points, num_features = x.shape
        if latent_dim >= num_features:
            raise ValueError(f"latent_dim must be < num_features = {num_features} (sigma^2 is the mean of the "
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
        check_tensor(x, "x")
        if x.dim() < 1 or x.shape[-1] != self.num_features:
            raise ValueError(f"x must have shape (N, {self.num_features}), got {tuple(x.shape)}")

    def _check_latent(self, z, name="z"):
        check_tensor(z, name)
        if z.dim() < 1 or z.shape[-1] != self.latent_dim:
            raise ValueError(f"{name} must have shape (..., N, {self.latent_dim}), got {tuple(z.shape)}")

    def marginal_covariance(self):
        """C = W W^T + sigma^2 I_D, shape (D, D)."""
        eye = torch.eye(self.num_features, dtype=self.W.dtype, device=self.W.device)
        return self.W @ self.W.T + torch.exp(2 * self.log_sigma) * eye

    def log_prob(self, x, *, context=None):
        """Exact log p(x) = log N(x; mu, W W^T + sigma^2 I) for x (N, D) -> (N,)."""
        self.check_context(context)
        self._check_data(x)
        marginal = torch.distributions.MultivariateNormal(self.mu, covariance_matrix=self.marginal_covariance())
        return marginal.log_prob(x)

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
        return gaussian_log_prob(x, x_mean, (2 * self.log_sigma).expand(self.num_features))

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
        check_same_shape(q_mean, "q_mean", q_log_var, "q_log_var")
        if num_samples is not None:
            z = reparameterize(q_mean, q_log_var, num_samples, generator)  # (K, N, L)
            return (self.log_joint(x, z) - gaussian_log_prob(z, q_mean, q_log_var)).mean(0)
        sigma2 = torch.exp(2 * self.log_sigma)
        residual = x - q_mean @ self.W.T - self.mu  # (N, D)
        spread = (torch.exp(q_log_var) * (self.W**2).sum(0)).sum(-1)  # (N,) tr(W diag(v) W^T)
        expected_log_likelihood = (-0.5 * self.num_features * (LOG_TWO_PI + torch.log(sigma2))
                                   - 0.5 * ((residual**2).sum(-1) + spread) / sigma2)
        return expected_log_likelihood - gaussian_kl(q_mean, q_log_var)

    def posterior_kl(self, x, q_mean, q_log_var):
        """KL(q || p(z|x)) for a diagonal q against the exact (full-covariance) posterior, (N,).

        Equals log p(x) - ELBO(x; q), the gap of the bound:
            KL = 0.5 [tr(S^-1 V) + (m_p - m)^T S^-1 (m_p - m) - L + log det S - sum_l log v_l],
        with q = N(m, V = diag(v)) and p(z|x) = N(m_p, S).
        """
        self._check_latent(q_mean, "q_mean")
        check_same_shape(q_mean, "q_mean", q_log_var, "q_log_var")
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
        latent_dim, num_features = self.latent_dim, self.num_features
        zeros = torch.zeros(1, num_features, dtype=self.W.dtype, device=self.W.device)
        _, post_cov = self.posterior(zeros)
        encoder_net = nn.Linear(num_features, 2 * latent_dim).to(self.W)
        mean_map = self.posterior(torch.eye(num_features, dtype=self.W.dtype, device=self.W.device) + self.mu)[0]  # (D, L)
        encoder_net.weight.copy_(torch.cat([mean_map.T, torch.zeros_like(mean_map.T)]))
        encoder_net.bias.copy_(torch.cat([-self.mu @ mean_map, -torch.linalg.inv(post_cov).diagonal().log()]))
        decoder_net = nn.Linear(latent_dim, num_features).to(self.W)
        decoder_net.weight.copy_(self.W)
        decoder_net.bias.copy_(self.mu)
        decoder = GaussianDecoder(decoder_net, learn_variance=False, log_var=2 * self.log_sigma.item()).to(self.W)
        return VAE(GaussianEncoder(encoder_net), decoder, latent_dim, num_features=num_features)

    @torch.no_grad()
    def _sample(self, num_samples, *, generator, context):
        """Ancestral sampling: z ~ N(0, I), x = W z + mu + sigma eps. Returns (n, D)."""
        z = standard_normal((num_samples, self.latent_dim), self.W, generator)  # (n, L)
        eps = standard_normal((num_samples, self.num_features), self.W, generator)  # (n, D)
        return z @ self.W.T + self.mu + torch.exp(self.log_sigma) * eps

