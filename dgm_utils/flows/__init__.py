"""Normalizing flows (unit 2 of the course).

A flow is an invertible map f from data x to noise z = f(x) with a simple base density p_Z. The change
of variables formula gives the exact density of the data,

    log p(x) = log p_Z(f(x)) + log |det df/dx|,

and sampling runs the map backwards: z ~ p_Z, x = f^{-1}(z). A flow is built as a composition
f = f_K o ... o f_1 of simple layers whose log-determinants add up.

Direction convention (nflows' habit; kept everywhere in the course):

* ``z, logabsdet = transform(x)`` maps DATA -> NOISE with ``logabsdet = log |det dz/dx|``, shape (N,);
* ``x, logabsdet = transform.inverse(z)`` maps NOISE -> DATA with ``logabsdet = log |det dx/dz|``
  (minus the forward one at the matching point).

Inputs are (N, D) float tensors; images are flattened to (N, 64).

Layers: :class:`AffineCoupling` (RealNVP, Dinh et al. 2017), :class:`SplineCoupling` (rational-quadratic
splines, Durkan et al. 2019), :class:`MAFLayer` (Papamakarios et al.
2017; its network is unit 1's MADE masks) and :class:`IAFLayer` (Kingma et al. 2016), :class:`Permutation`,
:class:`LULinear` (Glow's invertible 1x1 convolution, Kingma & Dhariwal 2018), :class:`ActNorm` (Glow),
:class:`LogitTransform` (RealNVP's preprocessing of [0, 1] data). :class:`Flow` adds the base density;
:class:`DequantizedFlow` turns a flow into a bound on the probability of *discrete* data (uniform
dequantization, Theis et al. 2016; variational dequantization, Ho et al. 2019, Flow++).

:class:`Flow` is a :class:`dgm_utils.base.ExactLikelihoodModel`; :class:`DequantizedFlow` is a
:class:`dgm_utils.base.BoundedLikelihoodModel` (``log_prob_bound``; ``log_prob`` raises: a discrete likelihood
is only bounded). Files, one idea each: ``base.py`` (the interface and combinators), ``coupling.py``,
``splines.py``, ``maf.py``, ``linear.py`` (permutations, LU, actnorm, logit), ``flow.py`` (base density, flow,
factories), ``dequantization.py``.
"""

from dgm_utils.flows.base import CompositeTransform, InverseNotAvailable, InverseTransform, Transform
from dgm_utils.flows.coupling import AffineCoupling, alternating_mask, checkerboard_mask
from dgm_utils.flows.dequantization import DequantizedFlow, VariationalDequantizer
from dgm_utils.flows.flow import Flow, StandardNormal, iaf, maf, neural_spline_flow, realnvp
from dgm_utils.flows.linear import ActNorm, LogitTransform, LULinear, Permutation, RandomPermutation, ReversePermutation
from dgm_utils.flows.maf import IAFLayer, MAFLayer, MaskedAutoregressiveNet
from dgm_utils.flows.splines import SplineCoupling

__all__ = [
    "InverseNotAvailable", "Transform", "CompositeTransform", "InverseTransform",
    "alternating_mask", "checkerboard_mask", "AffineCoupling", "SplineCoupling",
    "MaskedAutoregressiveNet", "MAFLayer", "IAFLayer",
    "Permutation", "ReversePermutation", "RandomPermutation", "LULinear", "ActNorm", "LogitTransform",
    "StandardNormal", "Flow", "realnvp", "neural_spline_flow", "maf", "iaf",
    "VariationalDequantizer", "DequantizedFlow",
]
