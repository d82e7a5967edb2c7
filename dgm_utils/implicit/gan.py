"""Generative adversarial networks: a generator G and a critic C, trained by ``dgm_utils.train.AdversarialStep``.

    gan = GAN(MLPGenerator(2, 2), MLPCritic(2, pack=4), objective="non_saturating")
    fit(gan, dgm_utils.data.ring(), step=AdversarialStep(gan, lr=2e-4), num_steps=3000, batch_size=256)
    x = gan.sample(1000)                                   # (1000, 2)

The objective is one of :data:`OBJECTIVES`; with theta the generator's and phi the critic's parameters and
l / v the critic's raw outputs:

=====================  ======================================  ===========================================
objective              critic loss (minimized over phi)        generator loss (minimized over theta)
=====================  ======================================  ===========================================
``"minimax"``          -E log D(x) - E log(1 - D(G(z)))         E log(1 - D(G(z)))      (Goodfellow 2014)
``"non_saturating"``   the same                                 -E log D(G(z))
``"wgan_gp"``          E C(G(z)) - E C(x) + lambda GP           -E C(G(z))              (Gulrajani 2017)
``"fgan_<name>"``      -(E_P g_f(v) - E_Q f*(g_f(v)))           -E_Q g_f(v)             (Nowozin 2016)
=====================  ======================================  ===========================================

with D = sigmoid(l), ``<name>`` a key of :data:`dgm_utils.implicit.F_DIVERGENCES`. A GAN has no density:
``log_prob`` raises :class:`dgm_utils.base.DensityNotAvailable`; compare it with data through sample metrics.
"""

import torch

from dgm_utils._validation import check_generator, check_number, check_range, check_tensor
from dgm_utils.base import ImplicitModel, MethodNotAvailable
from dgm_utils.distributions import standard_normal
from dgm_utils.implicit import losses

__all__ = ["GAN", "ConditionalGAN", "OBJECTIVES", "DEFAULT_PENALTY_WEIGHT"]

OBJECTIVES = ("minimax", "non_saturating", "wgan_gp") + tuple(f"fgan_{name}" for name in losses.F_DIVERGENCES)
#: lambda of WGAN-GP (Gulrajani et al. 2017)
DEFAULT_PENALTY_WEIGHT = 10.0


def _check_network(network, name):
    if not isinstance(network, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(network).__name__}")
    return network


class GAN(ImplicitModel):
    """A GAN: x = G(z), z ~ N(0, I_L), with a critic C that scores examples (see the module docstring).

    Args:
        generator: an ``nn.Module`` z (N, L) -> (N, D) with attributes ``latent_dim`` (L) and ``data_dim`` (D),
            e.g. :class:`MLPGenerator`.
        critic: an ``nn.Module`` x (N, D) -> scores (N / pack,); a ``pack`` attribute (PacGAN) is read if present.
        objective: one of :data:`OBJECTIVES`.
        penalty_weight: lambda of the gradient penalty (``"wgan_gp"`` only).
        data_range: ``(low, high)``: the networks work in [-1, 1] and data x in [low, high] is mapped
            y = 2 (x - low) / (high - low) - 1 before the critic; ``sample`` maps back. None: no rescaling.

    With a packing critic, ``critic_loss`` and ``generator_loss`` use the largest multiple of ``pack`` rows
    of the batch.
    """

    def __init__(self, generator, critic, *, objective="non_saturating", penalty_weight=DEFAULT_PENALTY_WEIGHT,
                 data_range=None):
        super().__init__()
        self.generator = _check_network(generator, "generator")
        self.critic = _check_network(critic, "critic")
        for attribute in ("latent_dim", "data_dim"):
            if not isinstance(getattr(generator, attribute, None), int):
                raise TypeError(f"the generator needs an int attribute {attribute} (as MLPGenerator has)")
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        self.objective = objective
        self.penalty_weight = check_number(penalty_weight, "penalty_weight", allow_zero=True)
        self.latent_dim, self.data_dim = generator.latent_dim, generator.data_dim
        self.pack = getattr(critic, "pack", 1)
        self.data_range = check_range(data_range, "data_range", allow_none=True)

    def __repr__(self):
        return f"{type(self).__name__}(objective={self.objective!r}, pack={self.pack})"

    # --- spaces -------------------------------------------------------------------------------------------
    def _parameter(self):
        return next(self.generator.parameters())

    def to_model_space(self, x):
        """Data x (N, D) -> the networks' space: 2 (x - low) / (high - low) - 1 with ``data_range``, else x."""
        if self.data_range is None:
            return x
        low, high = self.data_range
        return 2.0 * (x - low) / (high - low) - 1.0

    def to_data_space(self, y):
        """The inverse of :meth:`to_model_space`."""
        if self.data_range is None:
            return y
        low, high = self.data_range
        return low + (y + 1.0) * (high - low) / 2.0

    # --- pieces -------------------------------------------------------------------------------------------
    def _check_labels(self, context, num_rows, *, required):
        return None

    def _generate(self, num_samples, context, generator=None):
        """G(z) in the model space, (num_samples, D); z drawn from ``generator`` (CPU) or torch's global one."""
        z = standard_normal((num_samples, self.latent_dim), self._parameter(), generator)  # (N, L)
        return self.generator(z) if context is None else self.generator(z, context)

    def _score(self, x, context):
        return self.critic(x) if context is None else self.critic(x, context)

    def _prepare(self, x, context):
        """The batch in the model space, cut to a multiple of ``pack``, and its context (the same rows)."""
        check_tensor(x, "x", dims=(2,))
        if x.shape[1] != self.data_dim:
            raise ValueError(f"x must have shape (N, {self.data_dim}), got {tuple(x.shape)}")
        self.check_context(context)
        context = self._check_labels(context, x.shape[0], required=True)
        rows = (x.shape[0] // self.pack) * self.pack
        if rows == 0:
            raise ValueError(f"the batch has {x.shape[0]} rows, fewer than the critic's pack={self.pack}")
        parameter = self._parameter()
        x = self.to_model_space(x[:rows].to(parameter.device, parameter.dtype))  # (B, D)
        return x, (None if context is None else context[:rows].to(parameter.device))

    # --- the two losses AdversarialStep calls -----------------------------------------------------------------
    def critic_loss(self, x, context=None):
        """The critic's loss on a batch of real examples x (N, D), with fakes drawn here (detached)."""
        real, context = self._prepare(x, context)
        with torch.no_grad():
            fake = self._generate(real.shape[0], context)  # (B, D)
        real_scores, fake_scores = self._score(real, context), self._score(fake, context)
        if self.objective in ("minimax", "non_saturating"):
            return losses.discriminator_loss(real_scores, fake_scores)
        if self.objective == "wgan_gp":
            penalty = losses.gradient_penalty(self.critic, real, fake, context=context)
            return losses.wgan_critic_loss(real_scores, fake_scores) + self.penalty_weight * penalty
        return losses.fgan_critic_loss(real_scores, fake_scores, self.objective.removeprefix("fgan_"))

    def generator_loss(self, x, context=None):
        """The generator's loss for a batch the size of x (N, D) (the real rows are not used, their context is)."""
        real, context = self._prepare(x, context)
        fake_scores = self._score(self._generate(real.shape[0], context), context)
        if self.objective == "minimax":
            return losses.minimax_generator_loss(fake_scores)
        if self.objective == "non_saturating":
            return losses.non_saturating_generator_loss(fake_scores)
        if self.objective == "wgan_gp":
            return losses.wgan_generator_loss(fake_scores)
        return losses.fgan_generator_loss(fake_scores, self.objective.removeprefix("fgan_"))

    def loss(self, x, *, context=None):
        """Not available: a GAN has two losses, one per player."""
        raise MethodNotAvailable(f"{type(self).__name__} has no single training loss: it has critic_loss and "
                                 "generator_loss; train it with fit(gan, data, step=AdversarialStep(gan), ...)")

    def _sample(self, num_samples, *, generator, context):
        check_generator(generator)
        context = self._check_labels(context, num_samples, required=False)
        parameter = self._parameter()
        if num_samples == 0:
            return torch.zeros(0, self.data_dim, device=parameter.device, dtype=parameter.dtype)
        with torch.no_grad():
            if context is not None:
                context = context.to(parameter.device)
            return self.to_data_space(self._generate(num_samples, context, generator))  # (N, D)


class ConditionalGAN(GAN):
    """A GAN whose generator and critic take class labels: x = G(z, y), scores C(x, y) (Mirza & Osindero 2014).

    ``context`` is the labels, an int64 tensor (N,) in 0..C-1 (C = ``generator.num_classes``); train with
    ``fit(cgan, (x, labels), step=AdversarialStep(cgan, context=True), ...)``. ``sample(n, context=labels)``
    draws one example per label; ``context`` may be an int (n examples of that class) or None (the classes
    0, 1, ..., C-1 in turn, C-balanced). The arguments are those of :class:`GAN`.
    """

    is_conditional = True

    def __init__(self, generator, critic, **options):
        super().__init__(generator, critic, **options)
        num_classes = getattr(generator, "num_classes", None)
        if not isinstance(num_classes, int):
            raise TypeError("the generator needs an int attribute num_classes (as ConditionalGenerator has)")
        self.num_classes = num_classes

    def _check_labels(self, context, num_rows, *, required):
        if context is None:
            if required:
                raise ValueError(f"{type(self).__name__} needs context=labels, an int64 tensor ({num_rows},)")
            return torch.arange(num_rows) % self.num_classes  # (N,)
        if isinstance(context, int) and not isinstance(context, bool) and not required:
            context = torch.full((num_rows,), context, dtype=torch.int64)
        if not isinstance(context, torch.Tensor) or context.dtype != torch.int64:
            got = context.dtype if isinstance(context, torch.Tensor) else type(context).__name__
            raise TypeError(f"context must be class labels, an int64 tensor of shape ({num_rows},), got {got}")
        if context.shape != (num_rows,):
            raise ValueError(f"context must have shape ({num_rows},), one label per example, got "
                             f"{tuple(context.shape)}")
        if num_rows and (int(context.min()) < 0 or int(context.max()) >= self.num_classes):
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}, got "
                             f"{int(context.min())}..{int(context.max())}")
        return context
