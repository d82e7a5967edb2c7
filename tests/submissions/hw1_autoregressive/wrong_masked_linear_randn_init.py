"""MaskedLinear replaces nn.Linear's initialization by standard normal weights (the task says to initialize as
nn.Linear does): the layer is right, but the MADE starts with huge activations and trains to a poor likelihood.

expect-zero: test_masked_linear test_train_digits
"""
# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.register_buffer("mask", mask.clone().float())

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)
