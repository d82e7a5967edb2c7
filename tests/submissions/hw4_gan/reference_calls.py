"""Calls the course's reference implementations in dgm_utils instead of implementing anything: every test cell must
score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% mmd2
def mmd2(x, y, bandwidth):
    return dgm_utils.metrics.mmd2(x, y, bandwidth)

# %% mmd_permutation_test
from dgm_utils.metrics import mmd_permutation_test as reference_test


def mmd_permutation_test(x, y, bandwidth, num_permutations=200, generator=None):
    return reference_test(x, y, num_permutations=num_permutations, bandwidth=bandwidth, generator=generator)

# %% discriminator_loss
import dgm_utils.implicit


def discriminator_loss(real_logits, fake_logits):
    return dgm_utils.implicit.discriminator_loss(real_logits, fake_logits)

# %% non_saturating_generator_loss
def non_saturating_generator_loss(fake_logits):
    return dgm_utils.implicit.non_saturating_generator_loss(fake_logits)

# %% gradient_penalty
def gradient_penalty(critic, real, fake):
    return dgm_utils.implicit.gradient_penalty(critic, real, fake)
