"""MaskedConv2d's mask is written out for a 3 x 3 kernel only: with kernel_size 5 or 7, weight * mask does not
broadcast and the layer raises a shape error (the feedback names the kernel sizes the tests try).

expect-zero: test_masked_conv test_pixelcnn
"""
# %% masked_conv
class MaskedConv2d(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, mask_type):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        centre = 1.0 if mask_type == "B" else 0.0
        self.register_buffer("mask", torch.tensor([[1.0, 1.0, 1.0], [1.0, centre, 0.0], [0.0, 0.0, 0.0]]))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


def pixelcnn(hidden_channels, num_layers, kernel_size=3):
    layers = [MaskedConv2d(1, hidden_channels, kernel_size, "A"), nn.ReLU()]
    for _ in range(num_layers - 1):
        layers += [MaskedConv2d(hidden_channels, hidden_channels, kernel_size, "B"), nn.ReLU()]
    layers.append(nn.Conv2d(hidden_channels, 1, kernel_size=1))
    return nn.Sequential(*layers)
