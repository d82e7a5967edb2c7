"""Shared test settings.

pytest-xdist runs one worker per core; letting torch also start a thread per core in every worker
oversubscribes the CPU and makes small tensor operations tens of times slower, so each worker uses one.
"""

import torch

torch.set_num_threads(1)
