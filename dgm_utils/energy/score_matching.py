"""Score matching: fitting the score s(x) = grad_x log p(x) = -grad_x E(x) without the partition function.

With p the data distribution and s_theta the model's score (for an energy model s_theta = -grad E_theta):

* **exact** (Hyvarinen 2005): J(theta) = E_p[ 1/2 |s_theta(x)|^2 + tr(grad_x s_theta(x)) ], equal up to a constant
  to 1/2 E_p |s_theta - grad log p|^2. The trace of the Jacobian of the score (minus the Hessian trace of E) costs
  D backward passes; :func:`exact_score_matching_loss` takes it from ``torch.func`` (``vmap`` of ``jacrev`` of
  ``grad``).
* **sliced** (Song et al. 2019): J = E_p E_v[ v^T grad_x s_theta(x) v + 1/2 (v^T s_theta(x))^2 ], v with
  E[v v^T] = I (Gaussian or Rademacher), one projection per example by default; ``variance_reduced=True`` uses
  1/2 |s_theta(x)|^2 for the second term (its expectation over v). Unbiased for J, at one backward pass per
  projection.
* **denoising** (Vincent 2011): noise x~ = x + sigma eps, eps ~ N(0, I); J = E 1/2 |s_theta(x~) + eps / sigma|^2,
  minimized by the score of the *noised* data distribution, p convolved with N(0, sigma^2 I). For Gaussian data
  N(0, v I) in D dimensions its minimum is D v / (2 sigma^2 (v + sigma^2)) (:func:`dsm_gaussian_minimum`).

Every loss is the mean over the batch of a per-example value summed over the D coordinates.
"""

import torch

from dgm_utils._validation import check_generator, check_number, check_points, check_positive_int, check_row_values
from dgm_utils.distributions import standard_normal
from dgm_utils.energy.mcmc import energy_function

__all__ = ["score_of_energy", "exact_score_matching_loss", "sliced_score_matching_loss",
           "denoising_score_matching_loss", "dsm_gaussian_minimum", "PROJECTIONS"]

PROJECTIONS = ("gaussian", "rademacher")


def _check_scores(scores, x, name="score"):
    if not isinstance(scores, torch.Tensor) or scores.shape != x.shape:
        got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ValueError(f"the {name} must map x of shape {tuple(x.shape)} to a tensor of the same shape, got {got}")
    return scores


def score_of_energy(energy):
    """s(x) = -grad_x E(x), (N, D) -> (N, D), differentiable again (for the losses below and for training)."""
    energy_fn = energy_function(energy)

    def score(x):
        with torch.enable_grad():
            if not x.requires_grad:
                x = x.requires_grad_(True)
            values = check_row_values(energy_fn(x), x.shape[0], f"the energy of x {tuple(x.shape)}")
            (gradient,) = torch.autograd.grad(values.sum(), x, create_graph=True)
        return -gradient
    return score


def exact_score_matching_loss(energy, x):
    """Hyvarinen's objective for an energy E: mean_i [1/2 |grad E(x_i)|^2 - tr(Hessian E(x_i))].

    ``energy``: a function x (N, D) -> (N,) (or a model with ``energy``) that treats rows independently; it is
    called on single rows (1, D) under ``torch.func.vmap``, so it must not mix examples (no batch norm).
    """
    check_points(x, "x", min_rows=1)
    energy_fn = energy_function(energy)

    def single(row):  # (D,) -> ()
        return energy_fn(row[None])[0]

    gradient = torch.func.vmap(torch.func.grad(single))(x)  # (N, D)
    # reverse over reverse (torch.func.hessian is forward over reverse, whose first use warns from inside torch)
    hessians = torch.func.vmap(torch.func.jacrev(torch.func.grad(single)))(x)  # (N, D, D)
    trace = torch.diagonal(hessians, dim1=1, dim2=2).sum(dim=1)  # (N,)
    return (0.5 * (gradient ** 2).sum(dim=1) - trace).mean()


def _projections(shape, distribution, like, generator):
    if distribution == "gaussian":
        return standard_normal(shape, like, generator)
    signs = torch.randint(0, 2, shape, generator=generator)  # on the CPU: a CPU generator serves any device
    return (2 * signs - 1).to(like.device, like.dtype)


def sliced_score_matching_loss(score, x, *, num_projections=1, projection="gaussian", variance_reduced=False,
                               generator=None):
    """Sliced score matching: mean over examples and projections v of v^T (d s / dx) v + 1/2 (v^T s)^2.

    Args:
        score: a function x (N, D) -> s(x) (N, D), differentiable in x (e.g. :func:`score_of_energy`).
        x: (N, D) data.
        num_projections: projections per example (each example gets its own).
        projection: ``"gaussian"`` or ``"rademacher"`` (both have E[v v^T] = I).
        variance_reduced: replace 1/2 (v^T s)^2 by its mean over v, 1/2 |s|^2 (SSM-VR).
        generator: a CPU ``torch.Generator`` for the projections, or None.
    """
    check_points(x, "x", min_rows=1)
    check_positive_int(num_projections, "num_projections")
    check_generator(generator)
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    n, d = x.shape
    with torch.enable_grad():
        points = x.detach().repeat(num_projections, 1).requires_grad_(True)  # (M N, D)
        scores = _check_scores(score(points), points)
        v = _projections(points.shape, projection, points, generator)  # (M N, D)
        projected = (v * scores).sum(dim=1)  # (M N,)
        (directional,) = torch.autograd.grad(projected.sum(), points, create_graph=True)  # (M N, D)
        first = (directional * v).sum(dim=1)  # v^T (d s / dx) v, (M N,)
        second = 0.5 * (scores ** 2).sum(dim=1) if variance_reduced else 0.5 * projected ** 2
    return (first + second).mean()


def denoising_score_matching_loss(score, x, sigma, *, antithetic=False, generator=None):
    """Denoising score matching at noise level sigma: mean_i 1/2 |s(x_i + sigma eps_i) + eps_i / sigma|^2.

    ``score``: a function (N, D) -> (N, D); the noise is drawn from ``generator`` (CPU) or torch's global one.
    ``antithetic=True`` evaluates every example at both x + sigma eps and x - sigma eps (2N score evaluations) and
    averages the two terms: the same expectation, but the terms of order 1/sigma^2 and 1/sigma that make the plain
    estimate noisy at small sigma cancel (what is left tends to the sliced score-matching estimate as sigma -> 0).
    """
    check_points(x, "x", min_rows=1)
    check_number(sigma, "sigma")
    check_generator(generator)
    if not isinstance(antithetic, bool):
        raise TypeError(f"antithetic must be a bool, got {type(antithetic).__name__}")
    noise = standard_normal(x.shape, x, generator)  # (N, D)
    if antithetic:
        x, noise = torch.cat([x, x]), torch.cat([noise, -noise])  # (2N, D): eps and -eps for every example
    noisy = x + sigma * noise  # (N, D)
    scores = _check_scores(score(noisy), noisy)
    return (0.5 * ((scores + noise / sigma) ** 2).sum(dim=1)).mean()


def dsm_gaussian_minimum(variance, sigma, dim):
    """The minimum of the denoising objective for data N(0, variance I_dim): dim variance / (2 sigma^2 (variance +
    sigma^2)), reached by the noised data's score s(x~) = -x~ / (variance + sigma^2)."""
    check_number(variance, "variance")
    check_number(sigma, "sigma")
    check_positive_int(dim, "dim")
    return dim * variance / (2.0 * sigma ** 2 * (variance + sigma ** 2))
