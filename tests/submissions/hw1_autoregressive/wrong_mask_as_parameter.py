"""MaskedLinear keeps the mask as an nn.Parameter instead of a buffer: the optimizer trains it, so the zeros of the
mask move and the removed weights come back.

expect-zero: test_masked_linear test_train_digits
"""
# %% masked_linear
class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, mask):
        super().__init__(in_features, out_features)
        self.mask = nn.Parameter(mask.clone().float())

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)
