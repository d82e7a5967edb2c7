"""Autoregressive models (unit 1 of the course).

Every model here factorizes a joint distribution with the chain rule, in a fixed ordering of the
dimensions,

    p(x) = prod_{i=1}^{D} p(x_i | x_{<i}),        log p(x) = sum_i log p(x_i | x_{<i}),

and computes all D conditionals with ONE network pass by making the network *autoregressive*: output i
depends only on the inputs before i in the ordering (its Jacobian is strictly lower triangular). The
likelihood is then exact and costs one pass; sampling needs D passes, one dimension at a time.

The models differ in how they enforce that structure:

* :class:`MADE` (Germain et al. 2015) -- an MLP whose weights are multiplied by 0/1 masks built from
  *degrees* (:func:`dgm_utils.nn.made_masks`); outputs are Bernoulli, categorical or a mixture of Gaussians per
  dimension; several orderings can be trained at once and averaged as an ensemble.
* :class:`PixelCNN` (van den Oord et al. 2016) -- convolutions with masked kernels
  (:class:`MaskedConv2d`, type "A" hides the centre pixel, type "B" keeps it) in raster order (or a
  flipped raster order); :class:`OrderingEnsemble` averages models that use different orderings.
* :class:`CausalTransformer` (Vaswani et al. 2017; a GPT in the spirit of nanoGPT) -- self-attention with
  a causal mask over a sequence of tokens, e.g. characters of text.
* :class:`WaveNet` (van den Oord et al. 2016) -- a stack of dilated causal 1-D convolutions
  (:class:`CausalConv1d`) whose receptive field doubles with every layer.

Every model is a :class:`dgm_utils.base.ExactLikelihoodModel`: ``log_prob(x) -> (N,)`` in nats (exact),
``sample(num_samples, *, generator=None, context=None)`` and ``loss(x) = -log_prob(x).mean()``. The sequence
models take a prompt as their ``context``.

Files: ``made.py`` (MADE), ``pixelcnn.py`` (masked convolutions, PixelCNN, the ensemble of orderings),
``sequence.py`` (transformer, WaveNet). The masks and the masked linear layer live in :mod:`dgm_utils.nn`
(the masked autoregressive flows of chapter 2 use them too) and are re-exported here.
"""

from dgm_utils.autoregressive.made import MADE
from dgm_utils.autoregressive.pixelcnn import MaskedConv2d, OrderingEnsemble, PixelCNN
from dgm_utils.autoregressive.sequence import CausalConv1d, CausalTransformer, WaveNet
from dgm_utils.nn import MaskedLinear, made_masks

__all__ = [
    "made_masks",
    "MaskedLinear",
    "MADE",
    "MaskedConv2d",
    "PixelCNN",
    "OrderingEnsemble",
    "CausalTransformer",
    "CausalConv1d",
    "WaveNet",
]
