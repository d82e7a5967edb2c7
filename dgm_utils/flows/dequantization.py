"""Dequantization: flows as bounds on the probability of discrete data (chapter 2).

Uniform dequantization (Theis et al. 2016) and variational dequantization (Ho et al. 2019, Flow++, simplified).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.base import BoundedLikelihoodModel
from dgm_utils.distributions import LOG_TWO_PI
from dgm_utils.flows._common import bounded_log_scale
from dgm_utils.flows.coupling import alternating_mask
from dgm_utils.flows.linear import LogitTransform
from dgm_utils.nn import mlp, zero_last_linear

__all__ = ["VariationalDequantizer", "DequantizedFlow", "DEQUANTIZATION_LOGIT_ALPHA"]

#: DequantizedFlow's default alpha: smaller, so the many pixels at level 0 keep room in logit space
#: (measured on the digits: 0.01 gave a bound ~3 nats/image lower than 0.05).
DEQUANTIZATION_LOGIT_ALPHA = 0.01


class VariationalDequantizer(nn.Module):
    """q(u | x) on (0, 1)^D: a conditional flow on noise (Flow++'s variational dequantization, simplified).

        eps ~ N(0, I),  h = mu(x) + exp(log sigma(x)) * eps,  h <- conditional affine couplings(h; x),
        u = sigmoid(h),
        log q(u | x) = log N(eps) - sum log sigma - sum_couplings logabsdet - sum_d log[sigmoid'(h_d)].

    The couplings' conditioners see the kept part of h and the rescaled image x / (K - 1).
    ``forward(x, eps=None)`` (N, D) -> (u (N, D), log q(u | x) (N,)), one draw per row (``eps`` (N, D)
    may be given instead of drawn, e.g. to check log q against the Jacobian du/deps).
    """

    def __init__(self, num_features, num_levels, hidden_features=64, num_coupling_layers=2):
        super().__init__()
        check_positive_int(num_features, "num_features")
        self.num_features, self.num_levels = num_features, num_levels
        self.gaussian = mlp(num_features, hidden_features, 2 * num_features, 1)  # x -> (mu, raw log sigma)
        zero_last_linear(self.gaussian)
        self.couplings = nn.ModuleList(
            mlp(2 * num_features, hidden_features, 2 * num_features, 1) for _ in range(num_coupling_layers))
        for net in self.couplings:
            zero_last_linear(net)
        self.register_buffer("masks", torch.stack([alternating_mask(num_features, k % 2 == 0)
                                                   for k in range(num_coupling_layers)]) if num_coupling_layers
                             else torch.zeros(0, num_features))
        self.scale_factor = nn.Parameter(torch.ones(num_coupling_layers + 1, num_features))

    def forward(self, x, eps=None):
        context = x / max(self.num_levels - 1, 1)  # (N, D) in [0, 1]
        mu, raw = self.gaussian(context).chunk(2, dim=1)  # (N, D) each
        log_sigma = bounded_log_scale(raw, self.scale_factor[0])
        eps = torch.randn_like(x) if eps is None else eps
        h = mu + torch.exp(log_sigma) * eps
        log_q = -0.5 * (eps**2).sum(1) - 0.5 * self.num_features * LOG_TWO_PI - log_sigma.sum(1)
        for k, net in enumerate(self.couplings):
            mask = self.masks[k]
            shift, raw = net(torch.cat([h * mask, context], dim=1)).chunk(2, dim=1)
            log_scale = bounded_log_scale(raw, self.scale_factor[k + 1]) * (1 - mask)
            h = h * mask + (1 - mask) * (h * torch.exp(log_scale) + shift)
            log_q = log_q - log_scale.sum(1)
        u = torch.sigmoid(h)  # (N, D)
        log_q = log_q - (F.logsigmoid(h) + F.logsigmoid(-h)).sum(1)
        return u, log_q


class DequantizedFlow(BoundedLikelihoodModel):
    """A flow on discrete levels 0..K-1 through dequantization: a lower bound on log P(x) in nats.

    Data x (N, D) holds integer levels (as floats). With u in [0, 1)^D and y = (x + u) / K in [0, 1)^D,

        P(x) = int_{[0,1)^D} p(y) K^{-D} du
        log P(x) >= E_{q(u|x)}[log p(y) - log q(u | x)] - D log K      (Jensen),

    with q uniform (``dequantizer="uniform"``, log q = 0) or a learned :class:`VariationalDequantizer`
    (``"variational"``). So ``-log_prob_bound(x)`` is an UPPER bound on the discrete NLL, comparable with
    categorical models. p(y) is the given ``flow`` applied to logit(alpha + (1 - 2 alpha) y)
    (:class:`LogitTransform`, Jacobian included) unless ``logit_alpha=None`` (then the flow models y).

    Args:
        flow: a :class:`Flow` (or anything with ``log_prob``, ``sample`` and ``num_features``).
        num_levels: K (17 for the digits).
        dequantizer: ``"uniform"`` or ``"variational"``.
        logit_alpha: alpha of the logit preprocessing, or None.
        hidden_features: width of the variational dequantizer's networks.
    """

    DEQUANTIZERS = ("uniform", "variational")

    def __init__(self, flow, num_levels=17, dequantizer="uniform", *, logit_alpha=DEQUANTIZATION_LOGIT_ALPHA,
                 hidden_features=64):
        super().__init__()
        if not isinstance(flow, nn.Module) or not callable(getattr(flow, "log_prob", None)):
            raise TypeError(f"flow must be an nn.Module with log_prob (e.g. a dgm_utils.flows.Flow), "
                            f"got {type(flow).__name__}")
        check_positive_int(num_levels, "num_levels")
        if dequantizer not in self.DEQUANTIZERS:
            raise ValueError(f"dequantizer must be one of {', '.join(self.DEQUANTIZERS)}, got {dequantizer!r}")
        self.flow, self.num_levels, self.dequantizer_name = flow, num_levels, dequantizer
        self.bound_name = f"{dequantizer} dequantization"
        self.num_features = flow.num_features
        self.logit = None if logit_alpha is None else LogitTransform(self.num_features, logit_alpha)
        self.dequantizer = (VariationalDequantizer(self.num_features, num_levels, hidden_features)
                            if dequantizer == "variational" else None)

    def _check_levels(self, x):
        check_points(x, "x", dim=self.num_features)
        if x.numel() and not bool(((x == torch.round(x)) & (x >= 0) & (x <= self.num_levels - 1)).all()):
            raise ValueError(f"x must hold integer levels 0..{self.num_levels - 1}, got values in "
                             f"[{float(x.min()):.3g}, {float(x.max()):.3g}] (or non-integers)")

    def continuous_log_prob(self, y):
        """log p(y) of the continuous model at y in [0, 1]^D, (N,)."""
        if self.logit is None:
            return self.flow.log_prob(y)
        z, logabsdet = self.logit(y)
        return self.flow.log_prob(z) + logabsdet

    def _log_prob_bound(self, x, *, num_samples, generator, context, importance_weighted=False):
        """Dequantization lower bound on log P(x) in nats, shape (N,) (``log_prob_bound(x, num_samples=S)``).

        Averages the bound over ``num_samples`` draws of u (same expectation, lower variance), or with
        ``importance_weighted=True`` takes log (1/S) sum_s exp(bound_s) (Burda et al. 2016), a tighter
        bound in expectation that approaches log P(x) as S grows. The noise comes from ``generator``
        (drawn on the CPU) when given, else from torch's global generator.
        """
        self._check_levels(x)
        bounds = []
        for _ in range(num_samples):
            noise = None if generator is None else torch.rand(x.shape, generator=generator).to(x)
            if self.dequantizer is None:
                u, log_q = (torch.rand_like(x) if noise is None else noise), x.new_zeros(x.shape[0])
            else:
                eps = None if noise is None else torch.special.ndtri(noise.clamp(1e-7, 1 - 1e-7))
                u, log_q = self.dequantizer(x, eps)
            y = (x + u) / self.num_levels  # (N, D) in [0, 1]
            bounds.append(self.continuous_log_prob(y) - log_q - self.num_features * math.log(self.num_levels))
        bounds = torch.stack(bounds)  # (S, N)
        if importance_weighted:
            return torch.logsumexp(bounds, 0) - math.log(num_samples)
        return bounds.mean(0)

    def loss(self, x, *, context=None):
        """Upper bound on the discrete NLL (nats per example), one dequantization draw per example."""
        return -self.log_prob_bound(x, num_samples=1, context=context).mean()

    def _sample(self, n, *, generator, context):
        """``n`` images of integer levels (as floats), (n, D): floor(y * K) clamped to 0..K-1."""
        y = self.flow.sample(n, generator=generator)  # (n, D)
        if self.logit is not None:
            y = self.logit.inverse(y)[0]
        return torch.floor(y * self.num_levels).clamp(0, self.num_levels - 1)
