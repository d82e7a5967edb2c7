"""Everything written with explicit Python loops: masks entry by entry, the log-likelihood through softplus, a sampler
that compares uniforms with the probabilities, and a convolution mask filled pixel by pixel.

expect-zero: none
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    num_dims = len(ordering)
    degree_of = {}
    for position in range(num_dims):
        degree_of[int(ordering[position])] = position + 1
    degrees = [[degree_of[d] for d in range(num_dims)]] + [[int(m) for m in h] for h in hidden_degrees]
    masks = []
    for lower, upper in zip(degrees[:-1], degrees[1:]):
        mask = torch.zeros(len(upper), len(lower))
        for k in range(len(upper)):
            for j in range(len(lower)):
                if upper[k] >= lower[j]:
                    mask[k, j] = 1.0
        masks.append(mask)
    mask = torch.zeros(num_dims, len(degrees[-1]))
    for d in range(num_dims):
        for k in range(len(degrees[-1])):
            if degrees[0][d] > degrees[-1][k]:
                mask[d, k] = 1.0
    masks.append(mask)
    return masks

# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        nn.Linear.__init__(self, in_features, out_features)
        self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float32).clone())

    def forward(self, x):
        return x @ (self.weight * self.mask).t() + self.bias

# %% log_likelihood
def log_likelihood(logits, x):
    # -log sigmoid(l) = softplus(-l), -log(1 - sigmoid(l)) = softplus(l)
    return -(x * F.softplus(-logits) + (1 - x) * F.softplus(logits)).sum(-1)

# %% sample
def sample(model, num_samples, ordering):
    x = torch.zeros(num_samples, len(ordering))
    with torch.no_grad():
        for i in range(len(ordering)):
            d = int(ordering[i])
            probability = torch.sigmoid(model(x)[:, d])
            x[:, d] = (torch.rand(num_samples) < probability).float()
    return x

# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        nn.Conv2d.__init__(self, in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        c = kernel_size // 2
        mask = torch.zeros(1, 1, kernel_size, kernel_size)
        for u in range(kernel_size):
            for v in range(kernel_size):
                if u < c or (u == c and v < c) or (u == c and v == c and mask_type == "B"):
                    mask[0, 0, u, v] = 1.0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    layers = []
    for l in range(num_layers):
        if l == 0:
            layers.append(MaskedConv2d(1, hidden_channels, kernel_size, "A"))
        else:
            layers.append(MaskedConv2d(hidden_channels, hidden_channels, kernel_size, "B"))
        layers.append(nn.ReLU())
    layers.append(nn.Conv2d(hidden_channels, 1, 1))
    return nn.Sequential(*layers)
