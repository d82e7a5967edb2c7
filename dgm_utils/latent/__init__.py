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

  is the course's estimate of log p(x) for a VAE (``log_prob_bound``).

Gaussians are parameterized by a mean and a *log-variance* ``log_var`` throughout; :func:`gaussian_log_prob`,
:func:`reparameterize` and :func:`gaussian_kl` are the one implementation of that math.

Interface (:mod:`dgm_utils.base`): the mixture and PPCA are exact-likelihood models (``log_prob``); the VAE is a
bounded-likelihood model, ``log_prob_bound(x, num_samples=K)`` is its IWAE bound and ``log_prob`` raises.
Files: ``mixture.py``, ``gaussian.py``, ``ppca.py``, ``decoders.py`` (encoders and decoders), ``vae.py``.
"""

from dgm_utils.latent.decoders import BernoulliDecoder, CategoricalDecoder, GaussianDecoder, GaussianEncoder
from dgm_utils.latent.gaussian import gaussian_kl, gaussian_log_prob, reparameterize
from dgm_utils.latent.mixture import EM_VARIANCE_FLOOR, EM_WEIGHT_FLOOR, GaussianMixture, mixture_log_prob, mixture_sample
from dgm_utils.latent.ppca import ProbabilisticPCA
from dgm_utils.latent.vae import DEFAULT_IWAE_SAMPLES, IWAE_CHUNK_ELEMENTS, LEVEL_RANK, VAE, vae_for_digits

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
    "EM_VARIANCE_FLOOR",
    "EM_WEIGHT_FLOOR",
    "DEFAULT_IWAE_SAMPLES",
    "IWAE_CHUNK_ELEMENTS",
    "LEVEL_RANK",
]
