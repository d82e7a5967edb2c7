"""dgm_utils: the helper package of the Deep Generative Models course companion.

Reference models (one subpackage per model family), data with known truth, one training loop, metrics,
plots and the assertion helpers used by the assignments' tests. Submodules are imported on first
use, so ``import dgm_utils`` itself is cheap and has no side effects::

    import dgm_utils as dgm
    toy = dgm.data.make_toy("ring")

Layers, each importing only from the layers above it in this list (dependencies point down):

1. ``_validation`` (argument checks), ``base`` (the interface every model implements: read it first),
   ``distributions`` (Gaussian, mixture and categorical math), ``nn`` (MLPs, masked layers, ``eval_mode``, time
   embeddings);
2. ``data`` (toys with exact densities, digits, text, waveforms), ``metrics``, ``plot``, ``train``,
   ``checks`` (the assignments' assertions), ``widgets``;
3. the families: ``autoregressive``, ``flows``, ``latent``, ``implicit``, ``energy``, ``diffusion``, and the
   chapters' helpers ``baselines`` and ``chapter``, and ``applications`` (imitation learning).
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("applications", "autoregressive", "base", "baselines", "chapter", "checks", "data", "diffusion", "distributions", "energy",
               "flows", "implicit", "latent", "metrics", "nn", "plot", "train", "widgets")

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'dgm_utils' has no attribute {name!r}; submodules are {', '.join(_SUBMODULES)}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
