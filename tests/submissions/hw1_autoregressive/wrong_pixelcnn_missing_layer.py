"""pixelcnn's loop of type B layers starts at 1 (`range(1, num_layers - 1)`): the network has one masked layer fewer
than num_layers, so its receptive field is too small; every pixel it sees is a legal one.

expect-zero: test_pixelcnn
"""
# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        centre = kernel_size // 2
        mask = torch.zeros(kernel_size, kernel_size)
        mask[:centre, :] = 1
        mask[centre, :centre] = 1
        mask[centre, centre] = 1.0 if mask_type == "B" else 0.0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    layers = [MaskedConv2d(1, hidden_channels, kernel_size, "A"), nn.ReLU()]
    for _ in range(1, num_layers - 1):  # one type B layer short
        layers += [MaskedConv2d(hidden_channels, hidden_channels, kernel_size, "B"), nn.ReLU()]
    layers.append(nn.Conv2d(hidden_channels, 1, kernel_size=1))
    return nn.Sequential(*layers)
