"""Applications of the generative models (chapters 7 and 8): models used for a task beyond density estimation.

Imitation learning (``imitation.py``)
-------------------------------------
A policy is a conditional model p(action | observation) fitted to an expert's demonstrations
(:func:`dgm_utils.data.make_behaviour_dataset`). :class:`RegressionPolicy` predicts E[a | o] by least squares and
averages the modes of a multimodal expert; :class:`MixturePolicy`, a mixture density network with an exact
log-likelihood, keeps them, and so does :class:`DiffusionPolicy`, a DDPM over actions with the observation as a
continuous context. :func:`train_policy` fits any of them with ``dgm_utils.train.fit`` for a fixed number of steps.

The cross-family table (``cross_family.py``)
--------------------------------------------
:func:`load_cross_family` reads and checks the results file of ``make bench`` (``benchmarks/cross_family.py``),
:func:`cross_family_markdown` renders one task of it as a Markdown table (chapter 7).

Inverse problems (``inverse_problems.py``, chapter 8a)
------------------------------------------------------
Linear forward models y = A x + noise with ``forward`` and ``adjoint`` (:class:`MaskOperator`,
:class:`AveragePoolOperator`, :class:`ProjectionOperator`), non-generative baselines (:func:`least_squares`,
:func:`harmonic_inpaint`, :func:`upsample`, :func:`nearest_consistent`), SDEdit (:func:`sdedit`) and per-image scores
(:func:`reconstruction_error`, :func:`psnr`, :func:`mean_and_standard_error`).

Sequences (``sequences.py``, ``audio.py``; chapter 8c)
------------------------------------------------------
:func:`complete` draws p(continuation | prompt) from any character model, :func:`next_token_probabilities` shows
the top-k next characters, :class:`CharNGram` is the unigram / bigram baseline, :func:`function_completion_parses`
checks completed Python functions and :func:`structure_metrics` measures validity, uniqueness and novelty.
:class:`SuperResolutionWaveNet` models p(high-rate signal | low-rate signal) with a local condition;
:func:`interpolate_signal` gives the linear and cubic baselines.
"""

from dgm_utils.applications.audio import SuperResolutionWaveNet, interpolate_signal, known_positions
from dgm_utils.applications.cross_family import cross_family_markdown, load_cross_family
from dgm_utils.applications.imitation import (DiffusionPolicy, MixturePolicy, ObservationDenoiser, RegressionPolicy,
                                              train_policy)
from dgm_utils.applications.inverse_problems import (PROJECTION_DIRECTIONS, AveragePoolOperator, LinearOperator,
                                                     MaskOperator, ProjectionOperator, harmonic_inpaint, least_squares,
                                                     mean_and_standard_error, nearest_consistent, psnr,
                                                     reconstruction_error, sdedit, upsample)
from dgm_utils.applications.sequences import (CharNGram, complete, cut_at_blank_line, function_completion_parses,
                                              next_token_probabilities, structure_metrics)

__all__ = ["RegressionPolicy", "MixturePolicy", "DiffusionPolicy", "ObservationDenoiser", "train_policy"]
__all__ += ["load_cross_family", "cross_family_markdown"]
__all__ += ["LinearOperator", "MaskOperator", "AveragePoolOperator", "ProjectionOperator", "PROJECTION_DIRECTIONS",
            "least_squares", "harmonic_inpaint", "upsample", "nearest_consistent", "sdedit", "reconstruction_error",
            "psnr", "mean_and_standard_error"]
__all__ += ["complete", "next_token_probabilities", "CharNGram", "cut_at_blank_line", "function_completion_parses",
            "structure_metrics", "SuperResolutionWaveNet", "interpolate_signal", "known_positions"]
