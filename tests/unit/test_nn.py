"""dgm_utils.nn: the MLP builder."""

import pytest
import torch
from torch import nn

from dgm_utils.nn import mlp, sinusoidal_embedding


def _linears(network):
    return [layer for layer in network if isinstance(layer, nn.Linear)]


@pytest.mark.parametrize("num_hidden_layers", [0, 1, 2, 4])
def test_layer_count_and_shapes(num_hidden_layers):
    network = mlp(3, 16, 5, num_hidden_layers=num_hidden_layers)
    linears = _linears(network)
    assert len(linears) == num_hidden_layers + 1
    assert linears[0].in_features == 3 and linears[-1].out_features == 5
    for layer in linears[:-1]:
        assert layer.out_features == 16
    activations = [layer for layer in network if isinstance(layer, nn.ReLU)]
    assert len(activations) == num_hidden_layers
    assert not isinstance(network[-1], nn.ReLU), "the output must not pass through an activation"
    assert network(torch.randn(7, 3)).shape == (7, 5)


def test_computes_the_composition_of_its_layers():
    torch.manual_seed(0)
    network = mlp(2, 4, 1, num_hidden_layers=1, activation=nn.Tanh)
    first, second = _linears(network)
    x = torch.randn(10, 2)
    expected = torch.tanh(x @ first.weight.T + first.bias) @ second.weight.T + second.bias
    torch.testing.assert_close(network(x), expected)


def test_activation_instance_is_copied_per_layer():
    prototype = nn.LeakyReLU(0.3)
    network = mlp(2, 8, 2, num_hidden_layers=3, activation=prototype)
    activations = [layer for layer in network if isinstance(layer, nn.LeakyReLU)]
    assert len(activations) == 3
    assert len({id(a) for a in activations}) == 3 and all(a is not prototype for a in activations)
    assert all(a.negative_slope == 0.3 for a in activations)


def test_gradients_reach_every_parameter():
    network = mlp(4, 8, 2, num_hidden_layers=2, activation=nn.SiLU)
    network(torch.randn(5, 4)).square().sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in network.parameters())


@pytest.mark.parametrize("kwargs,error,fragment", [
    (dict(in_features=0), ValueError, "in_features"),
    (dict(hidden_features=2.5), TypeError, "hidden_features"),
    (dict(out_features=-1), ValueError, "out_features"),
    (dict(num_hidden_layers=-1), ValueError, "num_hidden_layers"),
    (dict(activation="relu"), TypeError, "activation"),
    (dict(activation=lambda: 3), TypeError, "activation"),
])
def test_bad_arguments_are_named(kwargs, error, fragment):
    arguments = dict(in_features=2, hidden_features=8, out_features=2) | kwargs
    with pytest.raises(error, match=fragment):
        mlp(**arguments)


def test_sinusoidal_embedding_has_its_frequencies_and_refuses_an_odd_dim():
    t = torch.tensor([0.0, 1.0, 250.0])
    embedding = sinusoidal_embedding(t, 8)  # frequencies 1, 10^-1, 10^-2, 10^-3
    assert embedding.shape == (3, 8)
    assert torch.equal(embedding[0], torch.tensor([1.0] * 4 + [0.0] * 4))
    frequencies = torch.tensor([1.0, 0.1, 0.01, 0.001])
    torch.testing.assert_close(embedding[2], torch.cat([torch.cos(250 * frequencies), torch.sin(250 * frequencies)]))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_embedding(t, 5)
    with pytest.raises(ValueError, match="dimensions"):
        sinusoidal_embedding(t[:, None], 4)
