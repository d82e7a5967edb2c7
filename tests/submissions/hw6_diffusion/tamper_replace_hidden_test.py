"""The loss summed instead of averaged and p_sample with noise at the last step; their test cells replaced and the
blocked references emptied in the setup cell: locked cells are restored from the gradebook when grading, so the edits
gain nothing.

expect-zero: test_loss_values test_loss_gradient test_p_sample_step test_p_sample_mixture
"""
# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    t = torch.randint(1, len(alpha_bars) + 1, (x0.shape[0],), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).sum()

# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        betas = betas.double()
        alpha_bars = torch.cumprod(1 - betas, dim=0)
        eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.long))
        mean = (x_t - betas[t - 1] / (1 - alpha_bars[t - 1]).sqrt() * eps) / (1 - betas[t - 1]).sqrt()
        variance = (1 - alpha_bars[t - 2]) / (1 - alpha_bars[t - 1]) * betas[t - 1]
        return mean + variance.sqrt() * torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)

# %% test_loss_values
print("Visible tests passed.")

# %% test_loss_gradient
pass

# %% test_p_sample_step
print("Visible tests passed.")

# %% test_p_sample_mixture
pass

# %% setup
import math

import torch
from torch import nn

import dgm_utils.checks

_torch, _nn, _math, _checks = torch, nn, math, dgm_utils.checks
_BLOCKED = ()
