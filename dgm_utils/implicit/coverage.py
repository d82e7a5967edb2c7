"""Mode coverage of samples from a Gaussian mixture with known centres (the protocol of Srivastava et al. 2017,
VEEGAN, and Lin et al. 2018, PacGAN, on the 2-D ring and grid):

* each sample is assigned to its nearest mode centre mu_k (nearest in units of the mode's standard deviation);
* it is *high quality* when it lies within ``num_std`` standard deviations of that centre, ||x - mu_k|| <= 3 s_k;
* a mode is *covered* when at least one high-quality sample is assigned to it;
* the reverse KL is KL(h || uniform) = sum_k h_k log(K h_k), h the histogram of the high-quality samples over
  the K modes (0 log 0 = 0): 0 when every mode gets the same share, log K when all land on one mode.

For exact samples of a 2-D isotropic Gaussian mode, ||x - mu||^2 / s^2 is chi^2 with 2 degrees of freedom, so the
high-quality fraction is P(chi^2_2 <= 9) = 1 - exp(-4.5) ~ 0.989 (when modes are more than 6 s apart).
"""

import dataclasses
import math

import torch

from dgm_utils._validation import check_number, check_points

__all__ = ["ModeCoverage", "mode_coverage", "DEFAULT_NUM_STD"]

DEFAULT_NUM_STD = 3.0


@dataclasses.dataclass(frozen=True, eq=False)
class ModeCoverage:
    """The result of :func:`mode_coverage`.

    Attributes:
        num_modes: K, the number of mode centres.
        modes_covered: how many modes received at least one high-quality sample.
        high_quality: the fraction of samples within ``num_std`` standard deviations of their nearest centre.
        reverse_kl: KL(histogram of high-quality samples over modes || uniform) in nats; ``inf`` when no
            sample is high quality.
        counts: (K,) int64 tensor, high-quality samples per mode.
    """

    num_modes: int
    modes_covered: int
    high_quality: float
    reverse_kl: float
    counts: torch.Tensor

    def __str__(self):
        kl = "inf (no high-quality sample)" if math.isinf(self.reverse_kl) else f"{self.reverse_kl:.3f}"
        return (f"{self.modes_covered}/{self.num_modes} modes, {100 * self.high_quality:.1f}% high quality, "
                f"reverse KL {kl}")


def _centres_and_stds(means, std):
    """(K, 2) centres and (K,) standard deviations from tensors or from a toy with ``means`` and ``stds``."""
    if not isinstance(means, torch.Tensor) and hasattr(means, "means") and hasattr(means, "stds"):
        if std is not None:
            raise ValueError("std comes from the mixture when means is a mixture (e.g. data.ring()); pass std=None")
        stds = torch.as_tensor(means.stds, dtype=torch.float64)  # (K, D)
        if not torch.allclose(stds, stds[:, :1].expand_as(stds)):
            raise ValueError("mode_coverage needs isotropic modes (the same std on every axis)")
        return torch.as_tensor(means.means, dtype=torch.float64), stds[:, 0]
    check_points(means, "means", min_rows=1)
    means = means.detach().to(torch.float64)
    if std is None:
        raise TypeError("std is required (a positive number or a (K,) tensor) when means is a tensor")
    if isinstance(std, torch.Tensor):
        std = std.detach().to(torch.float64).reshape(-1)
        if std.numel() == 1:
            std = std.expand(means.shape[0])
        if std.shape != (means.shape[0],) or not bool(torch.all(torch.isfinite(std) & (std > 0))):
            raise ValueError(f"std must be positive and finite, a scalar or shape ({means.shape[0]},), "
                             f"got shape {tuple(std.shape)}")
        return means, std
    return means, torch.full((means.shape[0],), check_number(std, "std"), dtype=torch.float64)


def mode_coverage(samples, means, std=None, *, num_std=DEFAULT_NUM_STD):
    """Modes covered, high-quality fraction and reverse KL of ``samples`` against known mode centres.

    Args:
        samples: (N, D) floating tensor, N >= 1.
        means: (K, D) mode centres, or a mixture with ``means`` and ``stds`` (``dgm_utils.data.ring()``,
            ``grid()``), then ``std`` must be None.
        std: the modes' standard deviation, a positive number or a (K,) tensor.
        num_std: the radius of "high quality" in standard deviations.

    Returns:
        :class:`ModeCoverage`.
    """
    centres, stds = _centres_and_stds(means, std)
    check_points(samples, "samples", dim=centres.shape[1], min_rows=1)
    check_number(num_std, "num_std")
    x = samples.detach().to(torch.float64).cpu()  # (N, D)
    centres, stds = centres.cpu(), stds.cpu()
    if not bool(torch.isfinite(x).all()):
        raise ValueError("samples contain NaN or infinite values (did training diverge?)")
    scaled = torch.cdist(x, centres) / stds  # (N, K), distances in standard deviations
    distance, nearest = scaled.min(dim=1)  # (N,), (N,)
    high_quality = distance <= num_std  # (N,)
    num_modes = centres.shape[0]
    counts = torch.bincount(nearest[high_quality], minlength=num_modes)  # (K,)
    total = int(counts.sum())
    if total == 0:
        reverse_kl = math.inf
    else:
        h = counts.to(torch.float64) / total  # (K,)
        terms = torch.where(h > 0, h * torch.log(h * num_modes), torch.zeros_like(h))  # 0 log 0 = 0
        reverse_kl = max(float(terms.sum()), 0.0)
    return ModeCoverage(num_modes=num_modes, modes_covered=int((counts > 0).sum()),
                        high_quality=total / x.shape[0], reverse_kl=reverse_kl, counts=counts)
