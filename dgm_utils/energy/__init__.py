"""Energy-based models (unit 5): p(x) = exp(-E(x)) / Z with Z unknown.

They subclass :class:`dgm_utils.base.EnergyModel`: ``energy(x) -> (N,)``; ``log_prob`` raises until the energy is
normalized (in 2-D, by quadrature: :class:`QuadratureNormalized`).

* ``mcmc``: :func:`langevin_sample` (unadjusted Langevin) and :func:`mala_sample` (Metropolis-adjusted), with the
  known stationary variance of ULA on a Gaussian (:func:`ula_gaussian_variance`);
* ``quadrature``: :func:`log_partition` and :func:`log_partition_refinement` (log Z of a 2-D energy on a grid, and
  its error shown by refining the grid), :class:`QuadratureNormalized`.

* ``score_matching``: exact (the Hessian trace from ``torch.func``), sliced and denoising score matching.

* ``networks``: :class:`MLPEnergy`, an MLP energy with smooth activations, Langevin ``sample`` and a denoising
  score-matching ``loss``;
* ``contrastive``: :class:`ContrastiveDivergence` (a ``loss_fn`` for ``fit``) with short-run chains or a
  :class:`ReplayBuffer` of persistent ones.

* ``nce``: noise-contrastive estimation with a learned log Z (:func:`nce_loss`,
  :class:`NoiseContrastiveEstimation`, a ``loss_fn`` for ``fit``).
"""

from dgm_utils.energy.contrastive import (DEFAULT_MAX_ENERGY, DEFAULT_REINIT, SAMPLERS, ContrastiveDivergence,
                                         ReplayBuffer)
from dgm_utils.energy.mcmc import (MALAResult, energy_function, energy_gradient, langevin_sample, mala_sample,
                                   ula_gaussian_variance)
from dgm_utils.energy.score_matching import (PROJECTIONS, denoising_score_matching_loss, dsm_gaussian_minimum,
                                             exact_score_matching_loss, score_of_energy, sliced_score_matching_loss)
from dgm_utils.energy.nce import NoiseContrastiveEstimation, nce_loss
from dgm_utils.energy.networks import MLPEnergy
from dgm_utils.energy.quadrature import (DEFAULT_RESOLUTION, QuadratureNormalized, log_partition,
                                         log_partition_refinement)

__all__ = ["langevin_sample", "mala_sample", "MALAResult", "energy_function", "energy_gradient",
           "ula_gaussian_variance", "log_partition", "log_partition_refinement", "QuadratureNormalized",
           "DEFAULT_RESOLUTION", "score_of_energy", "exact_score_matching_loss", "sliced_score_matching_loss",
           "denoising_score_matching_loss", "dsm_gaussian_minimum", "PROJECTIONS", "MLPEnergy", "ReplayBuffer",
           "ContrastiveDivergence", "DEFAULT_REINIT", "DEFAULT_MAX_ENERGY", "SAMPLERS", "nce_loss",
           "NoiseContrastiveEstimation"]
