"""Encoders and decoders of a VAE: any network, wrapped to give a distribution (chapter 3, hw3)."""

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_positive_int
from dgm_utils.distributions import standard_normal
from dgm_utils.latent.gaussian import gaussian_log_prob

__all__ = ["GaussianEncoder", "BernoulliDecoder", "CategoricalDecoder", "GaussianDecoder"]


class GaussianEncoder(nn.Module):
    """Amortized posterior q(z|x) = N(mean(x), diag(exp(log_var(x)))).

    ``net`` maps x (N, D) to (N, 2L); the first L outputs are the mean, the last L the log-variance.
    """

    def __init__(self, net):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
        self.net = net

    def forward(self, x):
        """x (N, D) -> (mean (N, L), log_var (N, L))."""
        out = self.net(x)  # (N, 2L)
        if out.shape[-1] % 2:
            raise ValueError(f"the encoder net must output 2L features (mean and log-variance), got {out.shape[-1]}")
        mean, log_var = out.chunk(2, dim=-1)
        return mean, log_var


class _Decoder(nn.Module):
    """Base of the decoders: ``net`` maps z (..., N, L) to the parameters of p(x|z) over D pixels."""

    def __init__(self, net):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise TypeError(f"net must be an nn.Module, got {type(net).__name__}")
        self.net = net

    def _check_data(self, x, out_features):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor (N, D), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != out_features:
            raise ValueError(f"x must have shape (N, {out_features}) to match the decoder, got {tuple(x.shape)}")


class BernoulliDecoder(_Decoder):
    """p(x|z) = prod_d Bernoulli(x_d; sigmoid(logits_d(z))) for binary x.

    ``net`` maps z (..., N, L) to logits (..., N, D).
    """

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D) of 0/1, z (..., N, L) -> (..., N)."""
        logits = self.net(z)  # (..., N, D)
        self._check_data(x, logits.shape[-1])
        if x.numel() and not bool(((x == 0) | (x == 1)).all()):
            raise ValueError("x must hold binary values 0/1 for a BernoulliDecoder")
        x = x.to(logits.dtype).expand_as(logits)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)

    def mean(self, z):
        """E[x|z] = sigmoid(logits), (..., N, D)."""
        return torch.sigmoid(self.net(z))

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), float 0/1 of shape (..., N, D)."""
        probs = self.mean(z)
        return (torch.rand(probs.shape, generator=generator).to(probs.device) < probs).to(probs.dtype)


class CategoricalDecoder(_Decoder):
    """p(x|z) = prod_d Categorical(x_d; softmax(logits_d(z))) over levels 0..K-1 (K = ``num_levels``).

    ``net`` maps z (..., N, L) to (..., N, D * K) logits (pixel-major: the K logits of pixel d are adjacent).
    """

    def __init__(self, net, num_levels=17):
        super().__init__(net)
        check_positive_int(num_levels, "num_levels")
        self.num_levels = num_levels

    def logits(self, z):
        """Logits of every pixel, z (..., N, L) -> (..., N, D, K)."""
        out = self.net(z)
        if out.shape[-1] % self.num_levels:
            raise ValueError(f"the decoder net must output D * {self.num_levels} features, got {out.shape[-1]}")
        return out.unflatten(-1, (-1, self.num_levels))

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D) of integer levels (float or long), z (..., N, L) -> (..., N)."""
        logits = self.logits(z)  # (..., N, D, K)
        self._check_data(x, logits.shape[-2])
        if x.is_floating_point() and not bool((x == torch.round(x)).all()):
            raise ValueError(f"x must hold integer levels 0..{self.num_levels - 1}, got non-integers")
        x = x.long()
        if x.numel() and (int(x.min()) < 0 or int(x.max()) >= self.num_levels):
            raise ValueError(f"x must hold levels 0..{self.num_levels - 1}, got {int(x.min())}..{int(x.max())}")
        index = x.expand(logits.shape[:-1]).unsqueeze(-1)  # (..., N, D, 1)
        return torch.log_softmax(logits, dim=-1).gather(-1, index).squeeze(-1).sum(-1)

    def mean(self, z):
        """E[x|z] = sum_k k p(x_d = k | z), (..., N, D) (the expected level, for pictures)."""
        probs = torch.softmax(self.logits(z), dim=-1)  # (..., N, D, K)
        levels = torch.arange(self.num_levels, dtype=probs.dtype, device=probs.device)
        return probs @ levels

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), float levels of shape (..., N, D) (inverse-CDF sampling with CPU uniforms)."""
        probs = torch.softmax(self.logits(z), dim=-1)  # (..., N, D, K)
        uniform = torch.rand(probs.shape[:-1], generator=generator).to(probs.device)  # (..., N, D)
        index = (probs.cumsum(-1) < uniform.unsqueeze(-1)).sum(-1).clamp(max=self.num_levels - 1)
        return index.to(probs.dtype)


class GaussianDecoder(_Decoder):
    """p(x|z) = N(x; mean(z), sigma^2 I) for real x; ``net``: z (..., N, L) -> mean (..., N, D).

    One variance for all pixels: with ``learn_variance=True`` its log, ``log_var`` (a scalar, starting at
    ``log_var``), is learned with the rest of the model; otherwise it stays fixed (default 0: unit variance,
    where -log p(x|z) is half the squared error plus a constant). A variance shared by all pixels is
    more stable than one predicted per pixel from z, which can shrink without bound on constant pixels.
    """

    def __init__(self, net, learn_variance=True, log_var=0.0):
        super().__init__(net)
        self.learn_variance = bool(learn_variance)
        log_var = torch.tensor(float(log_var))
        if self.learn_variance:
            self.log_var = nn.Parameter(log_var)
        else:
            self.register_buffer("log_var", log_var)

    def log_prob(self, x, z):
        """log p(x|z) summed over pixels: x (N, D), z (..., N, L) -> (..., N)."""
        mean = self.net(z)  # (..., N, D)
        self._check_data(x, mean.shape[-1])
        return gaussian_log_prob(x.to(mean.dtype), mean, self.log_var.expand(mean.shape[-1]))

    def mean(self, z):
        """E[x|z], (..., N, D)."""
        return self.net(z)

    @torch.no_grad()
    def sample(self, z, generator=None):
        """x ~ p(x|z), (..., N, D)."""
        mean = self.net(z)
        return mean + torch.exp(0.5 * self.log_var) * standard_normal(mean.shape, mean, generator)


