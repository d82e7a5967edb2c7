"""Pieces shared by the flow layers (private to dgm_utils.flows): mask and ordering checks, conditioner networks,
the bounded log-scale."""

import torch
from torch import nn

from dgm_utils.nn import mlp, zero_last_linear

__all__ = ["check_mask", "check_ordering", "make_conditioner", "bounded_log_scale"]


def check_mask(mask):
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a 1-D torch.Tensor of 0/1 values, got {type(mask).__name__}")
    if mask.dim() != 1 or mask.numel() == 0:
        raise ValueError(f"mask must be a non-empty 1-D tensor (D,), got shape {tuple(mask.shape)}")
    mask = mask.float()
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError(f"mask must hold only 0 and 1, got values {sorted(set(mask.tolist()))[:5]}")
    return mask


def check_ordering(ordering, num_features, name="ordering"):
    if not isinstance(ordering, torch.Tensor) or ordering.is_floating_point() or ordering.dim() != 1:
        raise TypeError(f"{name} must be a 1-D integer tensor (a permutation of 0..{num_features - 1}), got "
                        f"{ordering.dtype if isinstance(ordering, torch.Tensor) else type(ordering).__name__}")
    ordering = ordering.long()
    if len(ordering) != num_features or not torch.equal(torch.sort(ordering).values, torch.arange(num_features)):
        raise ValueError(f"{name} must be a permutation of 0..{num_features - 1}, got {ordering.tolist()}")
    return ordering



def make_conditioner(net_factory, in_features, out_features, hidden_features, num_hidden_layers):
    """``net_factory(in, out)`` (default: ``mlp`` with the given sizes) with its last linear layer zeroed."""
    if net_factory is None:
        net = mlp(in_features, hidden_features, out_features, num_hidden_layers)
    elif callable(net_factory):
        net = net_factory(in_features, out_features)
    else:
        raise TypeError(f"net_factory must be callable (in_features, out_features) -> nn.Module, "
                        f"got {type(net_factory).__name__}")
    if not isinstance(net, nn.Module):
        raise TypeError(f"net_factory must return an nn.Module, got {type(net).__name__}")
    zero_last_linear(net)
    return net


def bounded_log_scale(raw, scale_factor):
    """log s = scale_factor * tanh(raw): smooth, bounded by |scale_factor|, and 0 when raw = 0."""
    return scale_factor * torch.tanh(raw)

