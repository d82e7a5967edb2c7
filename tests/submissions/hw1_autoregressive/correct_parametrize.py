"""Correct: both masked layers apply their mask with torch.nn.utils.parametrize (the weight is stored as
parametrizations.weight.original and every access of layer.weight returns the masked weight), forward is nn.Linear's
and nn.Conv2d's own, and the sampler runs under torch.inference_mode().

expect-zero: none
"""
# %% masked_linear
import torch.nn.utils.parametrize as parametrize


class _MaskWeight(nn.Module):
    """The parametrization weight -> weight * mask, with the mask as a buffer of its own."""

    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, weight):
        return weight * self.mask


class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.detach().clone().float())
        parametrize.register_parametrization(self, "weight", _MaskWeight(self.mask.clone()))

    def forward(self, x):
        return super().forward(x)

# %% sample
def sample(model, num_samples, ordering):
    with torch.inference_mode():
        x = torch.zeros(num_samples, len(ordering))
        for dimension in ordering.tolist():
            logit = model(x)[:, dimension]
            x[:, dimension] = torch.distributions.Bernoulli(logits=logit).sample()
    return x

# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        rows = torch.arange(kernel_size)[:, None].expand(kernel_size, kernel_size)
        columns = torch.arange(kernel_size)[None, :].expand(kernel_size, kernel_size)
        centre = kernel_size // 2
        before = (rows < centre) | ((rows == centre) & (columns < centre))
        if mask_type == "B":
            before = before | ((rows == centre) & (columns == centre))
        self.register_buffer("mask", before.float()[None, None])  # (1, 1, k, k), broadcast over the channels
        parametrize.register_parametrization(self, "weight", _MaskWeight(self.mask.clone()))


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    blocks = [nn.Sequential(MaskedConv2d(1, hidden_channels, kernel_size, "A"), nn.ReLU(inplace=True))]
    blocks += [nn.Sequential(MaskedConv2d(hidden_channels, hidden_channels, kernel_size, "B"), nn.ReLU(inplace=True))
               for _ in range(num_layers - 1)]
    return nn.Sequential(*blocks, nn.Conv2d(hidden_channels, 1, 1))
