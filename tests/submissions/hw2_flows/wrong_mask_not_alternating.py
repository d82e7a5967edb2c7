"""The mask is made once, outside the loop: every layer keeps the even dimensions, so dimension 0 is never
transformed and keeps the base's N(0, 1) distribution.

expect-zero: test_coupling_layers test_train_toy
"""
# %% coupling_layers
def coupling_layers(num_features, num_layers, net_factory):
    mask = (torch.arange(num_features) % 2 == 0).float()
    return nn.ModuleList([AffineCoupling(mask, net_factory) for _ in range(num_layers)])
