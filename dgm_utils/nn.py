"""Small network building blocks shared by the model families (the bottom layer, with ``distributions``).

Every family (flows, latent variable models, energy models, diffusion, ...) takes its networks from here rather
than writing its own, so that a chapter can say "an MLP with two hidden layers of 64 units" once:

* :func:`mlp`, the multilayer perceptron; :func:`zero_last_linear` makes a network start at the zero map
  (a coupling layer then starts at the identity);
* :func:`made_masks` and :class:`MaskedLinear`, the masked layers of MADE (chapter 1), which the masked
  autoregressive flows of chapter 2 reuse;
* :func:`eval_mode`, a context manager that evaluates a module in eval mode and restores its mode;
* :func:`sinusoidal_embedding`, the time embedding of the Transformer and of DDPM (chapter 6's denoisers).
"""

import contextlib
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_count, check_number, check_positive_int, check_tensor

__all__ = ["eval_mode", "mlp", "zero_last_linear", "sinusoidal_embedding", "made_masks", "MaskedLinear"]


@contextlib.contextmanager
def eval_mode(module):
    """Put ``module`` (an ``nn.Module``) in eval mode for the block, then restore the mode it had.

        with eval_mode(model):
            log_p = model.log_prob(x)   # dropout off, batch-norm statistics frozen
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"eval_mode takes an nn.Module, got {type(module).__name__}")
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def _make_activation(activation):
    """A fresh activation module from a class/factory, or a copy of a module instance."""
    if isinstance(activation, nn.Module):
        return copy.deepcopy(activation)
    if callable(activation):
        module = activation()
        if not isinstance(module, nn.Module):
            raise TypeError(f"activation() must return an nn.Module, got {type(module).__name__}")
        return module
    raise TypeError(f"activation must be an nn.Module class (e.g. nn.ReLU) or instance, got {activation!r}")


def mlp(in_features, hidden_features, out_features, num_hidden_layers=2, activation=nn.ReLU, *, dropout=0.0,
        output_layer=None):
    """A multilayer perceptron  x -> Linear -> act -> ... -> Linear -> y.

    With ``L = num_hidden_layers`` hidden layers of width ``H = hidden_features``:

        h_0 = x,   h_l = act(W_l h_{l-1} + b_l)  for l = 1..L,   y = W_{L+1} h_L + b_{L+1},

    so the network has L + 1 linear layers and no activation on the output. ``num_hidden_layers=0``
    gives a single linear layer.

    Args:
        in_features: input size D_in; input shape (N, D_in).
        hidden_features: width H of every hidden layer.
        out_features: output size D_out; output shape (N, D_out).
        num_hidden_layers: number L of hidden layers (each followed by an activation).
        activation: an ``nn.Module`` class or factory (called once per layer, e.g. ``nn.ReLU``,
            ``nn.SiLU``) or a module instance (copied for each layer).
        dropout: probability of an ``nn.Dropout`` after every hidden activation (0: none).
        output_layer: a module to use instead of the last ``nn.Linear`` (it must map H features to the output).

    Returns:
        ``nn.Sequential`` of the layers.
    """
    check_positive_int(in_features, "in_features")
    check_positive_int(hidden_features, "hidden_features")
    check_positive_int(out_features, "out_features")
    check_count(num_hidden_layers, "num_hidden_layers")
    _make_activation(activation)  # fail early on a bad activation, even when there are no hidden layers
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    if output_layer is not None and not isinstance(output_layer, nn.Module):
        raise TypeError(f"output_layer must be an nn.Module or None, got {type(output_layer).__name__}")

    layers = []
    width = in_features
    for _ in range(num_hidden_layers):
        layers += [nn.Linear(width, hidden_features), _make_activation(activation)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden_features
    layers.append(nn.Linear(width, out_features) if output_layer is None else output_layer)
    return nn.Sequential(*layers)


def zero_last_linear(net):
    """Zero the weight and bias of the last ``nn.Linear`` of ``net`` (so the net starts as the zero map); returns it."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if linears:
        with torch.no_grad():
            linears[-1].weight.zero_()
            if linears[-1].bias is not None:
                linears[-1].bias.zero_()
    return net


def sinusoidal_embedding(t, dim, *, max_period=10_000.0):
    """Sinusoidal features of a position or time t (Vaswani et al. 2017; Ho et al. 2020), t (N,) -> (N, dim).

    With H = dim / 2 frequencies f_k = max_period^(-k / H), k = 0..H-1 (from 1 down to almost 1 / max_period):

        emb(t) = [cos(f_0 t), ..., cos(f_{H-1} t), sin(f_0 t), ..., sin(f_{H-1} t)].

    Nearby t get nearby features at every scale, so a network can read both coarse and fine time; t should span a
    range of order max_period / 10 (the denoisers of ``dgm_utils.diffusion`` embed 1000 t for t in [0, 1]).
    ``dim`` must be even.
    """
    check_tensor(t, "t", dims=(1,))
    check_positive_int(dim, "dim")
    check_number(max_period, "max_period")
    if dim % 2:
        raise ValueError(f"dim must be even (a cosine and a sine per frequency), got {dim}")
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=t.dtype, device=t.device) / half)  # (H,)
    angles = t[:, None] * frequencies[None, :]  # (N, H)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)  # (N, dim)


# --- masked layers (MADE, chapter 1; masked autoregressive flows, chapter 2) --------------------------------

def made_masks(input_degrees, hidden_degrees, output_degrees=None):
    """The connectivity masks of MADE, built from the degrees of the units (Germain et al. 2015).

    Every unit k carries a degree m(k). An input unit has the degree of its dimension in the ordering,
    1..D. A hidden unit of degree m may see the units of the layer below of degree <= m; an output of
    degree d may only see hidden units of degree < d (strict, so output d never sees input d):

        M^l[k, j] = 1[m^l(k) >= m^{l-1}(j)]   (hidden layers),    M^out[i, k] = 1[m_out(i) > m^L(k)].

    Then output d depends only on inputs of degree < d: the network is autoregressive.

    Args:
        input_degrees: long tensor (D_in,), degrees of the input units.
        hidden_degrees: list of long tensors (H_l,), one per hidden layer (may be empty).
        output_degrees: long tensor (D_out,); default ``input_degrees`` (one output per input).

    Returns:
        list of float masks ``[M^1, ..., M^L, M^out]``, mask l of shape (H_l, H_{l-1}) like an
        ``nn.Linear`` weight (out_features, in_features).
    """
    degrees = [input_degrees, *hidden_degrees]
    output_degrees = input_degrees if output_degrees is None else output_degrees
    for name, value in [("input_degrees", input_degrees), ("output_degrees", output_degrees)] + [
            (f"hidden_degrees[{l}]", h) for l, h in enumerate(hidden_degrees)]:
        if not isinstance(value, torch.Tensor) or value.dim() != 1 or value.is_floating_point():
            raise TypeError(f"{name} must be a 1-D integer tensor, got "
                            f"{value.dtype if isinstance(value, torch.Tensor) else type(value).__name__}")
    masks = [(upper[:, None] >= lower[None, :]).float() for lower, upper in zip(degrees[:-1], degrees[1:])]
    masks.append((output_degrees[:, None] > degrees[-1][None, :]).float())
    return masks


class MaskedLinear(nn.Linear):
    """A linear layer y = (W * M) x + b whose weight is multiplied by a fixed 0/1 ``mask`` M (out, in)."""

    def __init__(self, in_features, out_features, mask=None, bias=True):
        nn.Linear.__init__(self, in_features, out_features, bias=bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))
        if mask is not None:
            self.set_mask(mask)

    def set_mask(self, mask):
        """Replace the mask (same shape as the weight)."""
        if not isinstance(mask, torch.Tensor) or mask.shape != self.weight.shape:
            raise ValueError(f"mask must be a tensor of shape {tuple(self.weight.shape)}, got "
                             f"{tuple(mask.shape) if isinstance(mask, torch.Tensor) else type(mask).__name__}")
        self.mask.copy_(mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)  # (N, out)

