"""GAN losses, written on the critic's raw outputs (logits or scores) so that they stay finite.

A discriminator D(x) = sigmoid(l(x)) is represented by its logit l; every log D or log(1 - D) is computed as
log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l), finite (with finite gradients) for
logits of any size, where log(sigmoid(l)) would give log(0) = -inf at l = -100 in float32.

* :func:`discriminator_loss`, :func:`minimax_generator_loss`, :func:`non_saturating_generator_loss`:
  the original GAN (Goodfellow et al. 2014);
* :func:`wgan_critic_loss`, :func:`wgan_generator_loss`, :func:`gradient_penalty`: WGAN-GP (Arjovsky et al.
  2017; Gulrajani et al. 2017);
* :data:`F_DIVERGENCES`, :func:`fgan_critic_loss`, :func:`fgan_generator_loss`: f-GAN (Nowozin et al. 2016).

Every loss is a scalar to *minimize*; the sign conventions are in each docstring. Logits and scores have shape
(N,) or (N, 1).
"""

import dataclasses
import math
from typing import Callable

import torch
import torch.nn.functional as F

from dgm_utils._validation import check_generator, check_same_shape, check_tensor

__all__ = ["discriminator_loss", "minimax_generator_loss", "non_saturating_generator_loss", "wgan_critic_loss",
           "wgan_generator_loss", "gradient_penalty", "FDivergence", "F_DIVERGENCES", "fgan_critic_loss",
           "fgan_generator_loss"]

_LOG_TWO = math.log(2.0)


def _check_scores(scores, name):
    """A floating tensor (N,) or (N, 1) with N >= 1, returned as (N,)."""
    check_tensor(scores, name)
    if scores.dim() == 2 and scores.shape[1] == 1:
        scores = scores[:, 0]
    if scores.dim() != 1 or scores.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N,) or (N, 1) with N >= 1 (one logit per example), "
                         f"got {tuple(scores.shape)}")
    return scores


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of the discriminator, real = 1, fake = 0:

        L_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))] = E[softplus(-l(x))] + E[softplus(l(G(z)))],

    with D = sigmoid(l). Its minimum over D is log 4 - 2 JS(p_data || p_G), at D* = p_data / (p_data + p_G).

    Args:
        real_logits: (N,) or (N, 1), logits l(x) of real examples.
        fake_logits: (M,) or (M, 1), logits l(G(z)) of generated examples.
    """
    real_logits = _check_scores(real_logits, "real_logits")
    fake_logits = _check_scores(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits):
    """The generator's side of the minimax game, L_G = E_z[log(1 - D(G(z)))] = -E[softplus(l(G(z)))].

    It saturates: when D rejects the fakes (l << 0) its gradient d L_G / d l = -sigmoid(l) vanishes.
    """
    fake_logits = _check_scores(fake_logits, "fake_logits")
    return -F.softplus(fake_logits).mean()


def non_saturating_generator_loss(fake_logits):
    """The non-saturating generator loss L_G = -E_z[log D(G(z))] = E[softplus(-l(G(z)))]
    (Goodfellow et al. 2014): the same fixed point as the minimax loss, gradient -> -1 when D rejects the fakes."""
    fake_logits = _check_scores(fake_logits, "fake_logits")
    return F.softplus(-fake_logits).mean()


def wgan_critic_loss(real_scores, fake_scores):
    """The WGAN critic loss L_C = E[C(G(z))] - E[C(x)]: minus the Kantorovich-Rubinstein estimate of W_1
    (add :func:`gradient_penalty` or weight clipping to keep C near 1-Lipschitz)."""
    real_scores = _check_scores(real_scores, "real_scores")
    fake_scores = _check_scores(fake_scores, "fake_scores")
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores):
    """The WGAN generator loss L_G = -E_z[C(G(z))]."""
    fake_scores = _check_scores(fake_scores, "fake_scores")
    return -fake_scores.mean()


def gradient_penalty(critic, real, fake, *, generator=None, context=None):
    """The gradient penalty of WGAN-GP (Gulrajani et al. 2017, Algorithm 1):

        x_hat = eps x + (1 - eps) x_fake,  eps ~ U[0, 1] per example,
        GP = E[(||grad_x_hat C(x_hat)||_2 - 1)^2].

    The gradient is taken with ``create_graph=True``, so GP is differentiable with respect to the critic's
    parameters (the loss L_C + lambda GP is minimized by backpropagating through the gradient). A critic that
    maps a group of ``pack`` consecutive rows to one score (PacGAN) gets the norm of the gradient of each score
    with respect to its whole group.

    Args:
        critic: a callable ``critic(x) -> (N / pack,)`` scores (``critic(x, context)`` when ``context`` is given).
        real, fake: floating tensors of the same shape (N, ...). Fakes are usually detached.
        generator: a ``torch.Generator`` for eps (on the CPU), or None for torch's global generator.
        context: passed to the critic with the interpolates (e.g. class labels (N,)), or None.

    Returns:
        a scalar tensor >= 0.
    """
    if not callable(critic):
        raise TypeError(f"critic must be callable as critic(x) -> scores, got {type(critic).__name__}")
    check_tensor(real, "real")
    check_tensor(fake, "fake")
    check_same_shape(real, "real", fake, "fake")
    check_generator(generator)
    if real.dim() < 2 or real.shape[0] == 0:
        raise ValueError(f"real and fake must have shape (N, ...) with N >= 1, got {tuple(real.shape)}")
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, generator=generator, dtype=real.dtype).to(real.device)  # (N, 1, ...)
    interpolates = eps * real + (1.0 - eps) * fake  # (N, ...)
    if not interpolates.requires_grad:
        interpolates.requires_grad_(True)
    scores = critic(interpolates) if context is None else critic(interpolates, context)
    scores = _check_scores(scores, "critic(x)")
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)  # (N, ...)
    if real.shape[0] % scores.shape[0]:
        raise ValueError(f"the critic gave {scores.shape[0]} scores for {real.shape[0]} inputs; expected one per "
                         "example or one per group of pack examples")
    grads = grads.reshape(scores.shape[0], -1)  # (N / pack, pack * D): one row per score
    norms = torch.sqrt(grads.pow(2).sum(dim=1) + 1e-12)  # (N / pack,), differentiable at 0
    return (norms - 1.0).pow(2).mean()


@dataclasses.dataclass(frozen=True)
class FDivergence:
    """One row of Nowozin et al. (2016), Tables 1 and 6: D_f(P || Q) = E_Q[f(p / q)], f convex, f(1) = 0.

    The critic outputs a raw score v; the output activation g_f maps it into the domain of the Fenchel
    conjugate f*(t) = sup_u [u t - f(u)], and T(x) = g_f(v(x)) gives the variational lower bound

        D_f(P || Q) >= E_P[T(x)] - E_Q[f*(T(x))],  with equality at T*(x) = f'(p(x) / q(x)).

    Fields (functions of tensors): ``f(u)``, ``f_prime(u)``, ``activation(v)`` = g_f(v), ``conjugate(t)`` = f*(t),
    ``conjugate_of_activation(v)`` = f*(g_f(v)) written stably, ``optimal_score(log_ratio)`` = the raw score
    v* with g_f(v*) = T* = f'(p / q), as a function of log(p / q). (Table 6's "GAN" row has f(1) = -log 4.)
    """

    name: str
    f: Callable
    f_prime: Callable
    activation: Callable
    conjugate: Callable
    conjugate_of_activation: Callable
    optimal_score: Callable


def _js_f(u):
    return u * torch.log(u) - (u + 1.0) * torch.log((u + 1.0) / 2.0)


F_DIVERGENCES = {
    "kl": FDivergence(
        "kl", f=lambda u: u * torch.log(u), f_prime=lambda u: 1.0 + torch.log(u),
        activation=lambda v: v, conjugate=lambda t: torch.exp(t - 1.0),
        conjugate_of_activation=lambda v: torch.exp(v - 1.0), optimal_score=lambda r: 1.0 + r),
    "reverse_kl": FDivergence(
        "reverse_kl", f=lambda u: -torch.log(u), f_prime=lambda u: -1.0 / u,
        activation=lambda v: -torch.exp(-v), conjugate=lambda t: -1.0 - torch.log(-t),
        conjugate_of_activation=lambda v: v - 1.0, optimal_score=lambda r: r),
    "pearson": FDivergence(
        "pearson", f=lambda u: (u - 1.0) ** 2, f_prime=lambda u: 2.0 * (u - 1.0),
        activation=lambda v: v, conjugate=lambda t: t ** 2 / 4.0 + t,
        conjugate_of_activation=lambda v: v ** 2 / 4.0 + v, optimal_score=lambda r: 2.0 * torch.expm1(r)),
    "hellinger": FDivergence(
        "hellinger", f=lambda u: (torch.sqrt(u) - 1.0) ** 2, f_prime=lambda u: 1.0 - 1.0 / torch.sqrt(u),
        activation=lambda v: -torch.expm1(-v), conjugate=lambda t: t / (1.0 - t),
        conjugate_of_activation=lambda v: torch.expm1(v), optimal_score=lambda r: r / 2.0),
    "jensen_shannon": FDivergence(
        "jensen_shannon", f=_js_f, f_prime=lambda u: torch.log(2.0 * u / (u + 1.0)),
        activation=lambda v: _LOG_TWO - F.softplus(-v), conjugate=lambda t: -torch.log(2.0 - torch.exp(t)),
        conjugate_of_activation=lambda v: F.softplus(v) - _LOG_TWO, optimal_score=lambda r: r),
    "gan": FDivergence(
        "gan", f=lambda u: u * torch.log(u) - (u + 1.0) * torch.log(u + 1.0),
        f_prime=lambda u: torch.log(u / (u + 1.0)),
        activation=lambda v: -F.softplus(-v), conjugate=lambda t: -torch.log(-torch.expm1(t)),
        conjugate_of_activation=lambda v: F.softplus(v), optimal_score=lambda r: r),
}
"""The f-divergences of Nowozin et al. (2016), Table 6, by name: KL, reverse KL, Pearson chi^2, squared Hellinger
(int (sqrt p - sqrt q)^2), Jensen-Shannon and "GAN". With f(u) = u log u - (u + 1) log((u + 1) / 2) and the
conjugate -log(2 - exp(t)) of Table 6, the "jensen_shannon" row measures 2 D_JS (D_JS = 1/2 KL(P || M) +
1/2 KL(Q || M), M = (P + Q) / 2; Table 1 writes the 1/2 into the divergence but not into f), and "gan" measures
2 D_JS - log 4, the value of the original GAN game at the optimal discriminator."""


def _divergence(divergence):
    if isinstance(divergence, FDivergence):
        return divergence
    if not isinstance(divergence, str):
        raise TypeError("divergence must be a name in F_DIVERGENCES or an FDivergence, got "
                        f"{type(divergence).__name__}")
    if divergence not in F_DIVERGENCES:
        raise ValueError(f"unknown f-divergence {divergence!r}; choose one of {sorted(F_DIVERGENCES)}")
    return F_DIVERGENCES[divergence]


def fgan_critic_loss(real_scores, fake_scores, divergence):
    """Minus the f-GAN variational bound (Nowozin et al. 2016, eq. 6), minimized by the critic:

        L_T = -(E_P[g_f(v(x))] - E_Q[f*(g_f(v(G(z))))]),   so  -L_T <= D_f(P || Q),

    with equality at the optimal critic v* (``F_DIVERGENCES[name].optimal_score(log p/q)``).

    Args:
        real_scores: (N,) or (N, 1), raw critic outputs v(x) on data (P).
        fake_scores: (M,) or (M, 1), raw critic outputs on generated samples (Q).
        divergence: a name in :data:`F_DIVERGENCES` or an :class:`FDivergence`.
    """
    real_scores = _check_scores(real_scores, "real_scores")
    fake_scores = _check_scores(fake_scores, "fake_scores")
    div = _divergence(divergence)
    return -(div.activation(real_scores).mean() - div.conjugate_of_activation(fake_scores).mean())


def fgan_generator_loss(fake_scores, divergence, *, form="non_saturating"):
    """The f-GAN generator loss on the raw critic outputs v(G(z)) of generated samples:

    * ``form="minimax"``: L_G = -E_Q[f*(g_f(v))], the generator's side of the saddle point (Nowozin et al. eq. 6);
    * ``form="non_saturating"``: L_G = -E_Q[g_f(v)], the heuristic of Nowozin et al. Section 3.2 (for
      ``"gan"`` this is exactly the non-saturating loss -E log D(G(z))).
    """
    fake_scores = _check_scores(fake_scores, "fake_scores")
    div = _divergence(divergence)
    if form == "minimax":
        return -div.conjugate_of_activation(fake_scores).mean()
    if form == "non_saturating":
        return -div.activation(fake_scores).mean()
    raise ValueError(f"form must be 'minimax' or 'non_saturating', got {form!r}")
