"""Langevin noise sqrt(step) and the DSM target without 1 / sigma^2; the Gaussian and training tests replaced, the
read-only training cell edited and the blocked references emptied in the setup cell: locked cells are restored from
the gradebook when grading, so the edits gain nothing.

expect-zero: test_langevin_steps test_langevin_gaussian test_langevin_mixture test_dsm_values test_dsm_gradients test_train_ebm
"""
# %% langevin_sample
def langevin_sample(energy, x0, step_size, num_steps, generator=None):
    x = x0.detach()
    for _ in range(num_steps):
        x = x.requires_grad_(True)
        (gradient,) = torch.autograd.grad(energy(x).sum(), x)
        x = (x - step_size * gradient + math.sqrt(step_size) * torch.randn(x.shape, generator=generator)).detach()
    return x

# %% dsm_loss
def dsm_loss(score, x, sigma, generator=None):
    noise = torch.randn(x.shape, generator=generator)
    noisy = x + sigma * noise
    return 0.5 * ((score(noisy) + (noisy - x)) ** 2).sum(dim=1).mean()

# %% test_langevin_gaussian
print("Visible tests passed.")

# %% test_train_ebm
pass

# %% ebm_training
def train_energy(num_steps=20, batch_size=256, lr=3e-3, sigma=0.15, seed=0):
    return None, [0.0] * num_steps

# %% setup
import math
import time

import torch
from torch import nn

import dgm_utils.checks
import dgm_utils.data
import dgm_utils.energy

_torch, _nn, _math, _checks, _time_now = torch, nn, math, dgm_utils.checks, time.process_time
_GaussianMixture2D = dgm_utils.data.GaussianMixture2D
_BLOCKED = ()
