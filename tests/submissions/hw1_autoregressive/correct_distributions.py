"""torch.distributions throughout: Bernoulli(logits=...).log_prob for the likelihood and .sample() for the sampler;
degrees through argsort, masks by torch.ge / torch.gt, and a convolution mask from index arithmetic.

expect-zero: none
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    input_degrees = torch.argsort(ordering) + 1  # the inverse permutation, counted from 1
    layer_degrees = [input_degrees, *hidden_degrees]
    masks = [torch.ge(layer_degrees[l + 1].unsqueeze(1), layer_degrees[l].unsqueeze(0)).to(torch.float32)
             for l in range(len(hidden_degrees))]
    masks.append(torch.gt(input_degrees.unsqueeze(1), layer_degrees[-1].unsqueeze(0)).to(torch.float32))
    return masks

# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features, bias=True)
        self.register_buffer("mask", mask.float().clone())

    def forward(self, x):
        return F.linear(x, self.mask * self.weight, self.bias)

# %% log_likelihood
def log_likelihood(logits, x):
    return torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(dim=-1)

# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, ordering.numel())
    for d in ordering:
        with torch.no_grad():
            x[:, d] = torch.distributions.Bernoulli(logits=model(x)[:, d]).sample()
    return x

# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        position = torch.arange(kernel_size * kernel_size).view(kernel_size, kernel_size)  # raster index in the kernel
        centre = (kernel_size * kernel_size) // 2
        mask = position < centre if mask_type == "A" else position <= centre
        self.register_buffer("mask", mask.float()[None, None])

    def forward(self, x):
        return self._conv_forward(x, self.weight * self.mask, self.bias)


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    first = [MaskedConv2d(1, hidden_channels, kernel_size, mask_type="A"), nn.ReLU()]
    rest = [module for _ in range(num_layers - 1)
            for module in (MaskedConv2d(hidden_channels, hidden_channels, kernel_size, mask_type="B"), nn.ReLU())]
    return nn.Sequential(*first, *rest, nn.Conv2d(hidden_channels, 1, kernel_size=1))
