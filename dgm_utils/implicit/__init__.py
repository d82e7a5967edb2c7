"""Implicit models (unit 4, coming): models that can sample but have no density, such as GANs.

They subclass :class:`dgm_utils.base.ImplicitModel`: ``sample(num_samples, *, generator=None, context=None)`` and
``loss``; ``log_prob`` raises :class:`dgm_utils.base.DensityNotAvailable`, and they are compared with data through
the sample metrics of :mod:`dgm_utils.metrics`. Their alternating generator/critic updates are a step object of
:mod:`dgm_utils.train`, not a loop of their own.
"""

__all__ = []
