"""The minimax generator loss mean log(1 - D(G(z))) = -mean softplus(logits) used as the "non-saturating" one: its
gradient vanishes where the discriminator rejects the samples (logits << 0).

expect-zero: test_generator_loss
"""
# %% non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    return torch.log(1 - torch.sigmoid(fake_logits) + 1e-12).mean()
