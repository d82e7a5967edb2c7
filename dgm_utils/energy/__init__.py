"""Energy-based models (unit 5, coming): p(x) = exp(-E(x)) / Z with Z unknown.

They subclass :class:`dgm_utils.base.EnergyModel`: ``energy(x) -> (N,)``; ``log_prob`` raises until the energy is
normalized (in 2-D, by quadrature). Langevin and MALA samplers, contrastive divergence and score matching will live
here.
"""

__all__ = []
