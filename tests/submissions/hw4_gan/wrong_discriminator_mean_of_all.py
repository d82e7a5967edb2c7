"""One mean over the real and fake terms together instead of one mean each: half the loss when N = M (so the GAN
still trains: Adam ignores the factor), a wrong weighting when N != M.

expect-zero: test_discriminator_loss
"""
# %% discriminator_loss
def discriminator_loss(real_logits, fake_logits):
    return torch.cat([F.softplus(-real_logits).flatten(), F.softplus(fake_logits).flatten()]).mean()
