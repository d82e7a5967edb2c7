"""Implicit models (unit 4): models that can sample but have no density, such as GANs.

They subclass :class:`dgm_utils.base.ImplicitModel`: ``sample(num_samples, *, generator=None, context=None)``;
``log_prob`` raises :class:`dgm_utils.base.DensityNotAvailable`, and they are compared with data through the
sample metrics of :mod:`dgm_utils.metrics` and, on the 2-D mixtures, by :func:`mode_coverage`. Their alternating
generator/critic updates are :class:`dgm_utils.train.AdversarialStep`, not a loop of their own::

    gan = GAN(MLPGenerator(2, 2), MLPCritic(2, pack=4))
    fit(gan, dgm_utils.data.ring(), step=AdversarialStep(gan), num_steps=3000, batch_size=256)
    print(mode_coverage(gan.sample(2000), dgm_utils.data.ring()))

Files, one idea each:

* ``losses.py``: the GAN losses on logits (discriminator BCE, minimax and non-saturating generator losses), WGAN
  critic/generator losses and the gradient penalty of WGAN-GP, the f-GAN family (:data:`F_DIVERGENCES`,
  :func:`fgan_critic_loss`, :func:`fgan_generator_loss`);
* ``networks.py``: :class:`MLPGenerator`, :class:`MLPCritic` (with PacGAN's packing), :class:`ConditionalGenerator`,
  :class:`ConditionalCritic` (one-hot labels);
* ``gan.py``: :class:`GAN` (objective ``"minimax"``, ``"non_saturating"``, ``"wgan_gp"`` or ``"fgan_<name>"``) and
  :class:`ConditionalGAN` (context = class labels);
* ``coverage.py``: :func:`mode_coverage` -> :class:`ModeCoverage` (modes covered, high-quality fraction, reverse KL).
"""

from dgm_utils.implicit.coverage import ModeCoverage, mode_coverage
from dgm_utils.implicit.gan import GAN, OBJECTIVES, ConditionalGAN
from dgm_utils.implicit.losses import (F_DIVERGENCES, FDivergence, discriminator_loss, fgan_critic_loss,
                                       fgan_generator_loss, gradient_penalty, minimax_generator_loss,
                                       non_saturating_generator_loss, wgan_critic_loss, wgan_generator_loss)
from dgm_utils.implicit.networks import ConditionalCritic, ConditionalGenerator, MLPCritic, MLPGenerator

__all__ = ["discriminator_loss", "minimax_generator_loss", "non_saturating_generator_loss", "wgan_critic_loss",
           "wgan_generator_loss", "gradient_penalty", "FDivergence", "F_DIVERGENCES", "fgan_critic_loss",
           "fgan_generator_loss", "MLPGenerator", "MLPCritic", "ConditionalGenerator", "ConditionalCritic", "GAN",
           "ConditionalGAN", "OBJECTIVES", "mode_coverage", "ModeCoverage"]
