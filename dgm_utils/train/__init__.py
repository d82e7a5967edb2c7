"""One training loop for every model of the course, driven by step objects.

``fit`` knows nothing about the model it trains (in the spirit of minGPT's ``trainer.py``): it cuts the
data into batches, seeds the randomness, validates, stops and records a ``History``; a *step object*
does the update. The protocol, written down in ``steps.Step``:

    step(batch) -> dict[str, float]          one update on a batch; the scalars to log
    step.modules                             the nn.Modules it holds (moved to the device, switched
                                             between train and eval mode, saved as the best state)
    step.validation_loss(batch) -> float     the loss of a held-out batch (eval mode, no gradients)
    step.loss_key                            the logged scalar recorded as History.train_loss

A batch is a Tensor (B, ...) for tensor data, or a tuple of Tensors sharing B for tuple data such as
``(x, labels)``; a sampler (anything with ``.sample(n)``, e.g. a 2-D toy) gives a fresh batch every step.
The steps, with theta the trained parameters and L a scalar loss of the batch:

    LossStep(model)              theta <- optimizer_step(theta, grad L(theta; B)),  L = model.loss(batch)
    AdversarialStep(gan)         phi   <- critic_optimizer_step(phi, grad L_critic(B))   every step;
                                 theta <- generator_optimizer_step(theta, grad L_generator(B))
                                 every critic_steps-th step
    EMA(step, decay)             the inner step, then theta_bar <- decay * theta_bar + (1 - decay) * theta

    history = fit(model, x_train, val_data=x_val, num_epochs=50, patience=5)      # LossStep(model)
    history = fit(model, toy, num_steps=3000, lr=1e-2, lr_schedule="cosine")     # lr decays to 0 over the run
    history = fit(gan, toy, step=EMA(AdversarialStep(gan, critic_steps=5), 0.999, module=gan.generator),
                  num_steps=5000)
    history.logs["generator_loss"]                                                # NaN between updates
    dgm.plot.training_curves(history)

Randomness inside ``fit`` (batch order, sampler draws, and the noise a loss draws from torch's global
generator, e.g. a VAE's reparameterization) is seeded by ``seed``; the caller's global random state is
left as it was. The progress bar is on by default; ``progress=False`` or the environment variable
``TQDM_DISABLE=1`` switches it off.
"""

from dgm_utils.train.environment import get_device, seed_everything
from dgm_utils.train.steps import LR_SCHEDULES, AdversarialStep, LossStep, Step, lr_scheduler
from dgm_utils.train.ema import EMA
from dgm_utils.train.loop import (DEFAULT_EVAL_EVERY, MIN_EVAL_BATCH_SIZE, POSTFIX_EVERY, PROGRESS_DISABLE_ENV_VAR,
                                  VALIDATION_SAMPLE_SIZE, History, fit)

__all__ = ["History", "fit", "get_device", "seed_everything", "Step", "LossStep", "AdversarialStep", "EMA", "LR_SCHEDULES", "lr_scheduler",
           "VALIDATION_SAMPLE_SIZE", "MIN_EVAL_BATCH_SIZE", "DEFAULT_EVAL_EVERY", "POSTFIX_EVERY",
           "PROGRESS_DISABLE_ENV_VAR"]
