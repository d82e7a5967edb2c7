"""A KL with the wrong sign, the Monte Carlo and training tests replaced, the read-only DigitsVAE cell edited and the
blocked references emptied in the setup cell: locked cells are restored from the gradebook when grading, so the edits
gain nothing.

expect-zero: test_gaussian_kl_values test_gaussian_kl_monte_carlo test_elbo_linear_gaussian test_train_vae
"""
# %% gaussian_kl
def gaussian_kl(mean, log_var):
    return 0.5 * (1 + log_var - mean**2 - log_var.exp()).sum(-1)

# %% test_gaussian_kl_monte_carlo
print("Visible tests passed.")

# %% test_train_vae
pass

# %% vae_class
class DigitsVAE(nn.Module):
    pass

# %% setup
import math
import time

import torch
import torch.nn.functional as F
from torch import nn

import dgm_utils.checks
import dgm_utils.data
import dgm_utils.latent

_torch, _nn, _math, _checks, _time_now = torch, nn, math, dgm_utils.checks, time.perf_counter
_load_digits = dgm_utils.data.load_digits
_BLOCKED = ()
torch.set_num_threads(1)
