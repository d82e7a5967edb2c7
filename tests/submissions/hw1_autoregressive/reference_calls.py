"""Calls the course's reference implementations in dgm_utils.autoregressive instead of implementing anything: every
test cell must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    degrees = torch.empty(len(ordering), dtype=torch.long)
    degrees[ordering] = torch.arange(1, len(ordering) + 1)
    return dgm_utils.autoregressive.made_masks(degrees, list(hidden_degrees))

# %% masked_linear
from dgm_utils.autoregressive import MaskedLinear as _ReferenceMaskedLinear


class MaskedLinear(_ReferenceMaskedLinear):
    pass

# %% log_likelihood
def log_likelihood(logits, x):
    reference = dgm_utils.autoregressive.MADE(logits.shape[1], hidden_sizes=(1,))
    return reference._conditional_log_prob(logits[..., None], x).sum(1)

# %% sample
def sample(model, num_samples, ordering):
    reference = dgm_utils.autoregressive.MADE(len(ordering), hidden_sizes=(1,))
    reference.orderings[0] = ordering
    reference.forward = lambda inputs, r=0: model(inputs)[..., None]
    return reference.sample(num_samples)

# %% masked_conv
class MaskedConv2d(dgm_utils.autoregressive.MaskedConv2d):
    pass


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    reference = dgm_utils.autoregressive.PixelCNN(num_categories=2, hidden_channels=hidden_channels,
                                                  num_blocks=num_layers - 1, kernel_size=kernel_size)
    return nn.Sequential(*reference.network[:-1], nn.Conv2d(hidden_channels, 1, 1))
