"""The input degrees are taken as ordering + 1 instead of the inverse permutation: the model is autoregressive, but in
another ordering than the one asked for (normalization still holds).

expect-zero: test_masks test_made_autoregressive
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    input_degrees = ordering + 1  # wrong: the degree of dimension ordering[i] is i + 1, not ordering[i] + 1
    degrees = [input_degrees, *hidden_degrees]
    masks = [(upper[:, None] >= lower[None, :]).float() for lower, upper in zip(degrees[:-1], degrees[1:])]
    masks.append((input_degrees[:, None] > degrees[-1][None, :]).float())
    return masks
