"""The hidden-layer masks use `>` instead of `>=` (a hidden unit of degree m cannot see input m). The model stays
autoregressive, only weaker, so only the mask test catches it.

expect-zero: test_masks
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    input_degrees = torch.empty(len(ordering), dtype=torch.long)
    input_degrees[ordering] = torch.arange(1, len(ordering) + 1)
    degrees = [input_degrees, *hidden_degrees]
    masks = [(upper[:, None] > lower[None, :]).float() for lower, upper in zip(degrees[:-1], degrees[1:])]
    masks.append((input_degrees[:, None] > degrees[-1][None, :]).float())
    return masks
