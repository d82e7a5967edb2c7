"""Classifier-free guidance (Ho & Salimans 2021): one denoiser, trained with and without the label, steered at sampling.

Training drops the label with probability p (:func:`drop_labels`): the denoiser then learns both the conditional
noise eps(x_t, t, y) and the unconditional one eps(x_t, t, null), the null label being the extra class C
(:func:`null_labels`; class embeddings have C + 1 rows). Sampling replaces the prediction by

    eps_w = (1 + w) eps(x_t, t, y) - w eps(x_t, t, null) = eps(x_t, t, y) + w (eps(x_t, t, y) - eps(x_t, t, null)),

with the guidance scale w >= 0 (:func:`classifier_free_guidance`): w = 0 is the plain conditional model, w > 0 moves
away from the unconditional prediction, towards samples the implicit classifier p(y | x_t) is surer of. In scores,
s_w = s(x | y) + w (s(x | y) - s(x)) = s(x | y) + w grad log p(y | x). (Some papers write the same with
w' = 1 + w: eps_u + w' (eps_c - eps_u), so their w' = 1 is our w = 0.) The sign is the one that is easy to get wrong:
w > 0 must *subtract* the unconditional prediction.
"""

import torch

from dgm_utils._validation import check_count, check_int, check_number, check_tensor
from dgm_utils.distributions import standard_uniform

__all__ = ["classifier_free_guidance", "null_labels", "drop_labels", "check_labels"]


def classifier_free_guidance(eps_conditional, eps_unconditional, guidance_scale):
    """(1 + w) eps_conditional - w eps_unconditional, w = ``guidance_scale`` >= 0; same shapes in and out."""
    check_tensor(eps_conditional, "eps_conditional")
    check_tensor(eps_unconditional, "eps_unconditional")
    if eps_conditional.shape != eps_unconditional.shape:
        raise ValueError(f"eps_unconditional must have the shape of eps_conditional {tuple(eps_conditional.shape)}, "
                         f"got {tuple(eps_unconditional.shape)}")
    w = check_number(guidance_scale, "guidance_scale", allow_zero=True)
    return (1.0 + w) * eps_conditional - w * eps_unconditional


def null_labels(num_samples, num_classes, device=None):
    """The null label C (no class) for ``num_samples`` examples, int64 (num_samples,)."""
    check_count(num_samples)
    check_int(num_classes, "num_classes", minimum=1)
    return torch.full((num_samples,), num_classes, dtype=torch.long, device=device)


def check_labels(labels, num_classes, num_samples=None, *, allow_null=False):
    """``labels`` must be an integer tensor (N,) of classes 0..C-1 (0..C with ``allow_null``); returned as int64."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"context must be a tensor of class labels (N,), got {type(labels).__name__}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"context must hold integer class labels, got dtype {labels.dtype}")
    if labels.dim() != 1 or (num_samples is not None and labels.shape[0] != num_samples):
        expected = "(N,)" if num_samples is None else f"({num_samples},)"
        raise ValueError(f"context must be class labels of shape {expected}, got {tuple(labels.shape)}")
    top = num_classes if allow_null else num_classes - 1
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) > top):
        raise ValueError(f"context must hold labels in 0..{top}, got values in {int(labels.min())}.."
                         f"{int(labels.max())}")
    return labels.long()


def drop_labels(labels, num_classes, probability, generator=None):
    """Each label replaced by the null label C with probability ``probability`` (independently), int64 (N,)."""
    labels = check_labels(labels, num_classes, allow_null=True)
    p = check_number(probability, "probability", allow_zero=True)
    if p > 1:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    if p == 0 or labels.numel() == 0:
        return labels
    dropped = standard_uniform(labels.shape, torch.empty(0, device=labels.device), generator) < p  # (N,)
    return torch.where(dropped, torch.full_like(labels, num_classes), labels)
