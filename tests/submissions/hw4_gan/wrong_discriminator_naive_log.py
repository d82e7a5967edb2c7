"""The discriminator loss through the probabilities, -log(sigmoid(real)) - log(1 - sigmoid(fake)): right at moderate
logits, infinite (and nan gradients) at logits of -100 and 100.

expect-zero: test_discriminator_loss
"""
# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()
