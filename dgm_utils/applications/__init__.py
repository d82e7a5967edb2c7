"""Applications of the generative models (chapter 7): models used for a task beyond density estimation.

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
"""

from dgm_utils.applications.cross_family import cross_family_markdown, load_cross_family
from dgm_utils.applications.imitation import (DiffusionPolicy, MixturePolicy, ObservationDenoiser, RegressionPolicy,
                                              train_policy)

__all__ = ["RegressionPolicy", "MixturePolicy", "DiffusionPolicy", "ObservationDenoiser", "train_policy"]
__all__ += ["load_cross_family", "cross_family_markdown"]
