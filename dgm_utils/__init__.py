"""dgm_utils: the helper package of the Deep Generative Models course companion.

Reference models (one module per model family), data with known truth, one training loop, metrics,
plots and the assertion helpers used by the assignments' tests. Submodules are imported on first
use, so ``import dgm_utils`` itself is cheap and has no side effects::

    import dgm_utils as dgm
    toy = dgm.data.make_toy("ring")
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("autoregressive", "checks", "data", "flows", "latent", "metrics", "nn", "plot", "train", "widgets")

__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'dgm_utils' has no attribute {name!r}; submodules are {', '.join(_SUBMODULES)}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
