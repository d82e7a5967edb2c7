"""Score-based and diffusion models, and flow matching (unit 6). Data at s = 0, noise N(0, I) at s = 1 throughout.

:class:`GaussianDiffusion` subclasses :class:`dgm_utils.base.BoundedLikelihoodModel`: ``log_prob_bound`` is the
variational bound (named as such), and the probability-flow ODE gives an ODE likelihood, exact in the limit. The
process takes any noise-prediction network (``networks.py``, or the exact oracle of ``oracle.py``); the EMA of weights
is the step object ``dgm_utils.train.EMA``. :class:`FlowMatching` is an :class:`dgm_utils.base.ExactLikelihoodModel`
whose ``log_prob`` is its ODE likelihood (exact up to the solver's tolerance).

* ``schedules``: :class:`NoiseSchedule` (float64 arrays indexed by the step t = 0..T, continuous alpha_bar(s)),
  :func:`linear_betas`, :func:`cosine_betas`, :func:`log_snr_betas` (linear log-SNR, Kingma et al. 2021),
  :func:`make_schedule`;
* ``process``: :class:`GaussianDiffusion` (``q_sample``, ``loss``, ``p_sample``, ``sample``, ``ddim_step``,
  ``ddim_sample``, ``bound_terms``, ``log_prob_bound``), :func:`ddim_steps`;
* ``bound``: the bound's pieces: :func:`gaussian_kl`, :func:`discretized_gaussian_log_likelihood` (17-level bins for
  the digits, not 256), :func:`levels_to_signed` / :func:`signed_to_levels`;
* ``ode``: :func:`integrate_ode` (solve_ivp) and :func:`ode_log_likelihood` with an exact or Hutchinson divergence;
* ``probability_flow``: :func:`probability_flow_sample` and :func:`probability_flow_log_likelihood`;
* ``oracle``: the exact noise and velocity of Gaussian-mixture data (:class:`MixtureNoiseOracle`,
  :class:`MixtureVelocityOracle`, :func:`mixture_posterior_means`, :func:`noised_mixture_score`);
* ``flow_matching``: :class:`FlowMatching` (straight paths, Euler or ODE sampling);
* ``networks``: :class:`MLPDenoiser` (2-D), :class:`ConvDenoiser` (8x8), :class:`TimeLabelEmbedding`;
* ``guidance``: :func:`classifier_free_guidance` ((1 + w) eps_c - w eps_u), :func:`drop_labels`, :func:`null_labels`;
* ``inverse``: :func:`inpaint` (replacement of the known values at every step) and
  :func:`measurement_guided_sample` (diffusion posterior sampling for a measurement y = A(x)).
"""

from dgm_utils.diffusion.bound import (bin_half_width, discretized_gaussian_log_likelihood, gaussian_kl,
                                       levels_to_signed, signed_to_levels)
from dgm_utils.diffusion.flow_matching import DEFAULT_EULER_STEPS, SAMPLE_METHODS, FlowMatching
from dgm_utils.diffusion.guidance import check_labels, classifier_free_guidance, drop_labels, null_labels
from dgm_utils.diffusion.inverse import inpaint, measurement_guided_sample
from dgm_utils.diffusion.networks import TIME_SCALE, ConvDenoiser, MLPDenoiser, TimeLabelEmbedding
from dgm_utils.diffusion.ode import (DEFAULT_ATOL, DEFAULT_RTOL, DIVERGENCES, EXACT_DIVERGENCE_MAX_DIM, ODEResult,
                                     check_finite_state, integrate_ode, ode_log_likelihood)
from dgm_utils.diffusion.oracle import (MixtureNoiseOracle, MixtureVelocityOracle, mixture_posterior_means,
                                        noised_mixture_score)
from dgm_utils.diffusion.probability_flow import (ODE_MIN_TIME, probability_flow_log_likelihood,
                                                  probability_flow_sample, probability_flow_velocity)
from dgm_utils.diffusion.process import SAMPLER_ADVICE, GaussianDiffusion, ddim_steps
from dgm_utils.diffusion.schedules import (COSINE_OFFSET, LINEAR_BETA_RANGE, LOG_SNR_RANGE, MAX_BETA, SCHEDULES,
                                           NoiseSchedule, cosine_betas, linear_betas, log_snr_betas, make_schedule)

__all__ = ["NoiseSchedule", "linear_betas", "cosine_betas", "log_snr_betas", "make_schedule", "SCHEDULES",
           "LINEAR_BETA_RANGE", "COSINE_OFFSET", "MAX_BETA", "LOG_SNR_RANGE", "GaussianDiffusion", "ddim_steps", "SAMPLER_ADVICE", "gaussian_kl",
           "discretized_gaussian_log_likelihood", "levels_to_signed", "signed_to_levels", "bin_half_width",
           "integrate_ode", "ode_log_likelihood", "ODEResult", "check_finite_state", "DIVERGENCES",
           "EXACT_DIVERGENCE_MAX_DIM", "DEFAULT_RTOL", "DEFAULT_ATOL", "probability_flow_velocity",
           "probability_flow_sample", "probability_flow_log_likelihood", "ODE_MIN_TIME", "mixture_posterior_means",
           "noised_mixture_score", "MixtureNoiseOracle", "MixtureVelocityOracle", "FlowMatching", "SAMPLE_METHODS",
           "DEFAULT_EULER_STEPS", "MLPDenoiser", "ConvDenoiser", "TimeLabelEmbedding", "TIME_SCALE",
           "classifier_free_guidance", "drop_labels", "null_labels", "check_labels", "inpaint",
           "measurement_guided_sample"]
