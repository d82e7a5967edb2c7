"""The output mask uses `>=` instead of `>`: output d sees hidden units of degree d, hence input d itself. The model is
no longer autoregressive (nor normalized).

expect-zero: test_masks test_made_autoregressive test_made_normalized test_train_digits
"""
# %% made_masks
def made_masks(ordering, hidden_degrees):
    input_degrees = torch.empty(len(ordering), dtype=torch.long)
    input_degrees[ordering] = torch.arange(1, len(ordering) + 1)
    degrees = [input_degrees, *hidden_degrees]
    masks = [(upper[:, None] >= lower[None, :]).float() for lower, upper in zip(degrees[:-1], degrees[1:])]
    masks.append((input_degrees[:, None] >= degrees[-1][None, :]).float())
    return masks
