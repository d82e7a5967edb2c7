"""Correct: degrees by argsort and masks by one broadcast comparison each; the sampler draws every uniform up front
under torch.inference_mode() and fills one dimension per pass by comparing with sigmoid; the PixelCNN's convolution
masks the kernel with an explicit (out, in, k, k) buffer and ReLUs via F.relu in a small module.

expect-zero: none
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    degrees = [torch.argsort(ordering) + 1] + [torch.as_tensor(h) for h in hidden_degrees]
    masks = [(upper.unsqueeze(1) >= lower.unsqueeze(0)).to(torch.float32) for lower, upper in zip(degrees, degrees[1:])]
    return masks + [(degrees[0].unsqueeze(1) > degrees[-1].unsqueeze(0)).to(torch.float32)]

# %% sample
def sample(model, num_samples, ordering):
    with torch.inference_mode():
        uniforms = torch.rand(num_samples, len(ordering))
        x = torch.zeros(num_samples, len(ordering))
        for step in range(len(ordering)):
            d = int(ordering[step])
            x[:, d] = (uniforms[:, d] < torch.sigmoid(model(x)[:, d])).float()
        return x

# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        centre = kernel_size // 2
        flat = torch.zeros(kernel_size * kernel_size)
        flat[:centre * kernel_size + centre + (1 if mask_type == "B" else 0)] = 1.0  # raster positions before the centre
        mask = flat.view(kernel_size, kernel_size).expand(out_channels, in_channels, kernel_size, kernel_size)
        self.register_buffer("mask", mask.clone())

    def forward(self, x):
        return self._conv_forward(x, self.weight * self.mask, self.bias)


class _ReLU(nn.Module):
    def forward(self, x):
        return F.relu(x)


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    layers = []
    for layer in range(num_layers):
        layers.append(MaskedConv2d(1 if layer == 0 else hidden_channels, hidden_channels, kernel_size,
                                   "A" if layer == 0 else "B"))
        layers.append(_ReLU())
    layers.append(nn.Conv2d(hidden_channels, 1, kernel_size=1))
    return nn.Sequential(*layers)
