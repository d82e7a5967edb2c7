"""Calls the course's reference implementations in dgm_utils.energy instead of implementing anything: every test cell
must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% langevin_sample
import dgm_utils.energy


def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    return dgm_utils.energy.langevin_sample(energy, x0, step_size=step_size, num_steps=num_steps, generator=generator)

# %% dsm_loss
from dgm_utils.energy import denoising_score_matching_loss


def dsm_loss(score, x, sigma, generator=None):
    return denoising_score_matching_loss(score, x, sigma, generator=generator)

# %% sliced_sm_loss
def sliced_sm_loss(score, x, generator=None):
    return dgm_utils.energy.sliced_score_matching_loss(score, x, generator=generator)
