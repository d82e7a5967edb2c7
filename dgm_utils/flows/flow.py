"""The base density and the flow: log p(x) = log p_Z(f(x)) + log |det df/dx|; factories for RealNVP, neural
spline flows, MAF and IAF (chapter 2)."""

import torch

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import standard_normal_log_prob
from dgm_utils.flows.base import CompositeTransform, Transform
from dgm_utils.flows.coupling import AffineCoupling, alternating_mask
from dgm_utils.flows.linear import ActNorm
from dgm_utils.flows.maf import IAFLayer, MAFLayer
from dgm_utils.flows.splines import SplineCoupling

__all__ = ["StandardNormal", "Flow", "realnvp", "neural_spline_flow", "maf", "iaf"]


class StandardNormal(ExactLikelihoodModel):
    """The base density N(0, I_D): log p(z) = -||z||^2 / 2 - (D / 2) log(2 pi)."""

    def __init__(self, num_features):
        super().__init__()
        check_positive_int(num_features, "num_features")
        self.num_features = num_features
        self.register_buffer("_anchor", torch.zeros(0), persistent=False)  # follows the module's device

    def log_prob(self, z, *, context=None):
        """log N(z; 0, I), shape (N,)."""
        self.check_context(context)
        check_points(z, "z", dim=self.num_features)
        return standard_normal_log_prob(z)

    def _sample(self, n, *, generator, context):
        """``n`` draws, (n, D); drawn on the CPU (so a CPU ``generator`` works), then moved to the device."""
        return torch.randn(n, self.num_features, generator=generator).to(self._anchor.device)


class Flow(ExactLikelihoodModel):
    """A normalizing flow: a transform (data -> noise) and a base density.

        log p(x) = log p_Z(f(x)) + log |det df/dx|,     sample: z ~ p_Z, x = f^{-1}(z).

    Args:
        transform: a :class:`Transform` (data -> noise).
        base: an object with ``log_prob(z)`` and ``sample(num_samples, generator=None)``; default
            ``StandardNormal(num_features)``.
        num_features: D; inferred from ``transform.num_features`` (or ``base.num_features``) when None.
    """

    def __init__(self, transform, base=None, *, num_features=None):
        super().__init__()
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a dgm_utils.flows.Transform, got {type(transform).__name__}")
        if num_features is None:
            num_features = transform.num_features or getattr(base, "num_features", None)
        if num_features is None:
            raise ValueError("cannot infer num_features from the transform or the base; pass num_features=D")
        check_positive_int(num_features, "num_features")
        if transform.num_features is not None and transform.num_features != num_features:
            raise ValueError(f"num_features={num_features} but the transform has {transform.num_features}")
        self.num_features = num_features
        self.transform = transform
        self.base = StandardNormal(num_features) if base is None else base

    def transform_to_noise(self, x):
        """z = f(x), shape (N, D)."""
        return self.transform(x)[0]

    def log_prob(self, x, *, context=None):
        """log p(x) in nats, shape (N,)."""
        self.check_context(context)
        check_points(x, "x", dim=self.num_features)
        z, logabsdet = self.transform(x)  # (N, D), (N,)
        return self.base.log_prob(z) + logabsdet

    def _sample(self, n, *, generator, context):
        """``n`` samples x = f^{-1}(z), z ~ base, shape (n, D)."""
        return self.transform.inverse(self.base.sample(n, generator=generator))[0]

    def sample_and_log_prob(self, num_samples, *, generator=None):
        """Samples (n, D) and their log p (n,), both from the sampling pass: log p(x) = log p_Z(z) - log|det dx/dz|."""
        z = self.base.sample(num_samples, generator=generator)
        x, logabsdet = self.transform.inverse(z)
        return x, self.base.log_prob(z) - logabsdet


def _coupling_flow(make_coupling, num_features, num_layers, actnorm, masks):
    check_positive_int(num_features, "num_features")
    check_positive_int(num_layers, "num_layers")
    masks = [alternating_mask(num_features, True), alternating_mask(num_features, False)] if masks is None else masks
    layers = []
    for k in range(num_layers):
        if actnorm:
            layers.append(ActNorm(num_features))
        layers.append(make_coupling(masks[k % len(masks)]))
    return Flow(CompositeTransform(layers))


def realnvp(num_features, num_layers=8, hidden_features=64, num_hidden_layers=2, actnorm=False, masks=None,
            net_factory=None):
    """RealNVP: ``num_layers`` affine couplings with alternating masks (even, odd, even, ...).

    ``masks``: optional list of masks to cycle through instead (e.g. checkerboard masks of an image);
    ``actnorm=True`` puts an :class:`ActNorm` before every coupling; ``net_factory`` is passed to every
    :class:`AffineCoupling` (then ``hidden_features`` and ``num_hidden_layers`` are not used).
    """
    return _coupling_flow(lambda mask: AffineCoupling(mask, net_factory, hidden_features=hidden_features,
                                                      num_hidden_layers=num_hidden_layers),
                          num_features, num_layers, actnorm, masks)


def neural_spline_flow(num_features, num_layers=4, hidden_features=64, num_hidden_layers=2, num_bins=8, bound=5.0,
                       actnorm=False, masks=None):
    """Like :func:`realnvp` with :class:`SplineCoupling` layers (``num_bins`` bins on [-bound, bound])."""
    return _coupling_flow(lambda mask: SplineCoupling(mask, num_bins=num_bins, bound=bound,
                                                      hidden_features=hidden_features,
                                                      num_hidden_layers=num_hidden_layers),
                          num_features, num_layers, actnorm, masks)


def _autoregressive_flow(layer_class, num_features, num_layers, hidden_features, num_hidden_layers, actnorm):
    check_positive_int(num_features, "num_features")
    check_positive_int(num_layers, "num_layers")
    layers = []
    for k in range(num_layers):
        if actnorm:
            layers.append(ActNorm(num_features))
        ordering = torch.arange(num_features) if k % 2 == 0 else torch.arange(num_features - 1, -1, -1)
        layers.append(layer_class(num_features, hidden_features, num_hidden_layers, ordering))
    return Flow(CompositeTransform(layers))


def maf(num_features, num_layers=5, hidden_features=64, num_hidden_layers=2, actnorm=False):
    """MAF: ``num_layers`` :class:`MAFLayer` s whose orderings alternate between 0..D-1 and reversed."""
    return _autoregressive_flow(MAFLayer, num_features, num_layers, hidden_features, num_hidden_layers, actnorm)


def iaf(num_features, num_layers=5, hidden_features=64, num_hidden_layers=2, actnorm=False):
    """IAF: ``num_layers`` :class:`IAFLayer` s whose orderings alternate between 0..D-1 and reversed."""
    return _autoregressive_flow(IAFLayer, num_features, num_layers, hidden_features, num_hidden_layers, actnorm)


