"""Where to train and how to make a run repeatable: ``get_device`` and ``seed_everything``."""

import random

import numpy as np
import torch

from dgm_utils._validation import check_seed

__all__ = ["get_device", "seed_everything"]

#: ``np.random.seed`` takes seeds below this bound.
NUMPY_SEED_BOUND = 2**32


def get_device(prefer=None):
    """The device to train on: ``prefer`` when given and available, else CUDA when available, else CPU.

    Args:
        prefer: ``None``, a device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) or a
            ``torch.device``. An unavailable accelerator falls back to the CPU.

    Returns:
        ``torch.device``.
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(prefer, (str, torch.device)):
        raise TypeError(f"prefer must be None, a device string or a torch.device, got {type(prefer).__name__}")
    try:
        device = torch.device(prefer)
    except RuntimeError as error:
        raise ValueError(f"prefer must name a device such as 'cpu' or 'cuda', got {prefer!r}") from error
    if device.type == "cuda":
        available = torch.cuda.is_available() and (device.index is None or device.index < torch.cuda.device_count())
        return device if available else torch.device("cpu")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        return device if mps is not None and mps.is_available() else torch.device("cpu")
    return device


def seed_everything(seed):
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device).

    Args:
        seed: an int in [0, 2**32) (the range NumPy accepts).
    """
    check_seed(seed)
    if seed >= NUMPY_SEED_BOUND:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
