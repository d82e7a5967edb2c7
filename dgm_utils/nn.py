"""Small network building blocks shared by the model families.

Every family module (flows, energy models, diffusion, ...) takes its networks from here rather than
writing its own, so that a chapter can say "an MLP with two hidden layers of 64 units" once.
"""

import contextlib
import copy

from torch import nn

from dgm_utils._validation import check_count, check_positive_int

__all__ = ["eval_mode", "mlp"]


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


def mlp(in_features, hidden_features, out_features, num_hidden_layers=2, activation=nn.ReLU):
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

    Returns:
        ``nn.Sequential`` of the layers.
    """
    check_positive_int(in_features, "in_features")
    check_positive_int(hidden_features, "hidden_features")
    check_positive_int(out_features, "out_features")
    check_count(num_hidden_layers, "num_hidden_layers")
    _make_activation(activation)  # fail early on a bad activation, even when there are no hidden layers

    layers = []
    width = in_features
    for _ in range(num_hidden_layers):
        layers += [nn.Linear(width, hidden_features), _make_activation(activation)]
        width = hidden_features
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)
