"""Score-based and diffusion models (unit 6, coming).

They subclass :class:`dgm_utils.base.BoundedLikelihoodModel`: ``log_prob_bound`` is the variational bound (named as
such); the process takes any noise-prediction network from :mod:`dgm_utils.nn`, and the EMA of weights is a step
object of :mod:`dgm_utils.train`.
"""

__all__ = []
