"""The discriminator loss with the labels swapped (real called fake and fake called real): the discriminator learns
the opposite, and the generator, pushed towards higher logits, runs away from the data.

expect-zero: test_discriminator_loss test_train_gan
"""
# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()
