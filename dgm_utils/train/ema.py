"""An exponential moving average of weights around any step (as in the DDPM and GAN literature).

    ema = EMA(LossStep(model), decay=0.999)
    fit(model, x_train, step=ema, num_steps=5000)
    samples = ema.averaged_model.sample(64)
"""

import contextlib
import copy

import torch

from dgm_utils._validation import check_number
from dgm_utils.train.steps import Step, check_step

__all__ = ["EMA"]


class EMA(Step):
    """Wrap ``step`` and keep an exponential moving average of one module's weights.

    After every update of the inner step, each floating-point parameter and buffer theta of ``module``
    moves its shadow copy theta_bar (same shape) towards it:

        theta_bar <- decay * theta_bar + (1 - decay) * theta,

    starting from theta_bar = theta when the ``EMA`` is built; integer buffers (e.g. batch-norm's
    ``num_batches_tracked``) are copied. The average is an ``nn.Module`` of its own, ``averaged_model``
    (eval mode, no gradients), for evaluation and sampling; ``swap()`` loads it into the live module
    for the length of a block. The logged scalars are the inner step's.

    Args:
        step: the step whose updates are averaged (e.g. ``LossStep(model)``, ``AdversarialStep(gan)``).
        decay: in [0, 1); about 1 / (1 - decay) recent steps carry the average (0.999: ~1000).
        module: the module to average, one of ``step.modules`` or a submodule of one (e.g. the generator
            of a GAN); default the inner step's only module.
        validate_averaged: ``validation_loss`` evaluates the averaged weights (True) or the live ones.

    Attributes:
        num_updates: averaging updates so far.
    """

    def __init__(self, step, decay=0.999, *, module=None, validate_averaged=True):
        self.inner = check_step(step)
        check_number(decay, "decay", allow_zero=True)
        if decay >= 1:
            raise ValueError(f"decay must be in [0, 1), got {decay!r}; 1 would never move the average")
        self.decay = float(decay)
        if module is None:
            if len(step.modules) != 1:
                raise ValueError(f"{type(step).__name__} holds {len(step.modules)} modules; pass module=... "
                                 "to say which one to average")
            module = step.modules[0]
        if not any(module is part for held in step.modules for part in held.modules()):
            raise ValueError(f"module ({type(module).__name__}) must be one of step.modules or a submodule of one")
        self.module = module
        self.averaged_model = copy.deepcopy(module).requires_grad_(False).eval()
        self.validate_averaged = bool(validate_averaged)
        self.loss_key = getattr(step, "loss_key", Step.loss_key)
        # fit moves the average with the model, and saves and restores it with the best state
        self.modules = tuple(step.modules) + (self.averaged_model,)
        self.num_updates = 0

    def _pairs(self):
        """(averaged, live) tensors: every parameter, then every buffer, in module order."""
        averaged = list(self.averaged_model.parameters()) + list(self.averaged_model.buffers())
        live = list(self.module.parameters()) + list(self.module.buffers())
        if len(averaged) != len(live):
            raise RuntimeError(f"{type(self.module).__name__} changed its parameters or buffers after EMA was built")
        return zip(averaged, live)

    @torch.no_grad()
    def update(self):
        """theta_bar <- decay * theta_bar + (1 - decay) * theta for every floating-point tensor."""
        for average, live in self._pairs():
            if average.is_floating_point():
                average.mul_(self.decay).add_(live.detach(), alpha=1.0 - self.decay)
            else:
                average.copy_(live)
        self.num_updates += 1

    def __call__(self, batch):
        logs = self.inner(batch)
        self.update()
        return logs

    @contextlib.contextmanager
    def swap(self):
        """Within the block the live ``module`` holds the averaged weights; its own come back afterwards.

            with ema.swap():
                val_nll = -model.log_prob(x_val).mean()
        """
        pairs = list(self._pairs())
        saved = [live.detach().clone() for _, live in pairs]
        with torch.no_grad():
            for average, live in pairs:
                live.copy_(average)
        try:
            yield self.module
        finally:
            with torch.no_grad():
                for (_, live), value in zip(pairs, saved):
                    live.copy_(value)

    def validation_loss(self, batch):
        if not self.validate_averaged:
            return self.inner.validation_loss(batch)
        with self.swap():
            return self.inner.validation_loss(batch)
