"""MaskedLinear zeroes the masked weights once in __init__ and then runs a plain linear layer: the masked weights get
gradients, and training brings them back.

expect-zero: test_masked_linear test_train_digits
"""
# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features)
        self.register_buffer("mask", mask.clone().float())
        with torch.no_grad():
            self.weight.mul_(self.mask)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)
