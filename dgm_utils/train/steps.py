"""Step objects: one training update on one batch, the part of training that knows the model.

``fit`` draws the batches and calls ``step(batch)``; a step computes its loss(es), takes its optimizer
step(s) and returns the scalars to log. The protocol (see ``Step``):

    step(batch) -> dict[str, float]     one update; the logged scalars, e.g. {"loss": 1.23}
    step.modules                        tuple of the nn.Modules the step holds (fit moves them to the
                                        device, switches train/eval mode, saves the best state)
    step.validation_loss(batch) -> float    the loss on a held-out batch (fit calls it in eval mode
                                        under torch.no_grad() and averages over chunks)
    step.loss_key                       the logged key that fit records as History.train_loss

Every step computes a model's loss by one rule (``compute_loss``): ``loss_fn(model, batch)`` when a
``loss_fn`` is given, else the model's method, ``model.loss(batch)`` for a Tensor batch and
``model.loss(*batch)`` for a tuple batch, or ``model.loss(x, context=c)`` for a batch ``(x, c)`` with
``context=True`` (a conditional model: labels, masks, measurements).
"""

import math

import torch
from torch import nn

from dgm_utils._validation import check_number, check_positive_int

__all__ = ["Step", "LossStep", "AdversarialStep", "check_step", "compute_loss", "LR_SCHEDULES", "lr_scheduler"]

#: learning-rate schedules of ``LossStep``: None keeps lr; "cosine" decays it as lr (1 + cos(pi t / T)) / 2
LR_SCHEDULES = (None, "cosine")

#: Adam's (beta_1, beta_2) for the adversarial step: the lower beta_1 of Radford et al. (2016, DCGAN)
#: keeps the alternating game from oscillating as much as the default 0.9 does.
ADVERSARIAL_ADAM_BETAS = (0.5, 0.999)
#: AdversarialStep stops when |critic loss| exceeds this: a BCE critic loss of 1e4 means logits of order 1e4,
#: a WGAN critic loss of 1e4 a critic that is not kept Lipschitz (no penalty, no clipping); both have diverged.
MAX_CRITIC_LOSS = 1e4
_ADVERSARIAL_ADVICE = ("or keep the critic in check: a gradient penalty (GAN objective='wgan_gp') or "
                       "critic_weight_clip for a WGAN critic, fewer critic_steps")


class Step:
    """Base class of the step objects ``fit`` drives.

    A subclass sets ``self.modules`` (a tuple of ``nn.Module``) and implements ``__call__(batch)``,
    which takes one update and returns ``dict[str, float]`` holding at least ``loss_key``. It may
    implement ``validation_loss(batch) -> float``; without it, ``fit`` cannot use ``val_data``.
    Any object with these attributes works with ``fit``; subclassing only supplies the defaults.
    """

    #: the logged scalar that ``fit`` records as ``History.train_loss``
    loss_key = "loss"
    modules = ()

    def __call__(self, batch):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(batch) -> dict[str, float]")

    def validation_loss(self, batch):
        raise NotImplementedError(f"{type(self).__name__} has no validation_loss(batch), so it cannot be validated; "
                                  "call fit without val_data (and without patience)")

    def parameters(self):
        """The parameters of ``modules`` that require grad, each once, in module order."""
        seen, parameters = set(), []
        for module in self.modules:
            for parameter in module.parameters():
                if parameter.requires_grad and id(parameter) not in seen:
                    seen.add(id(parameter))
                    parameters.append(parameter)
        return parameters

    def __repr__(self):
        names = ", ".join(type(module).__name__ for module in self.modules)
        return f"{type(self).__name__}({names})"


def check_step(step, name="step"):
    """``step`` must follow the step protocol: callable, with a tuple of ``nn.Module`` as ``modules``."""
    if isinstance(step, nn.Module):
        raise TypeError(f"{name} must be a step object such as LossStep(model), got the nn.Module "
                        f"{type(step).__name__}; pass a model as fit's first argument")
    modules = getattr(step, "modules", None)
    if not callable(step) or not isinstance(modules, (tuple, list)):
        raise TypeError(f"{name} must be a step object (callable as step(batch) -> dict, with a tuple of "
                        f"nn.Modules as .modules), e.g. LossStep(model); got {type(step).__name__}")
    if not all(isinstance(module, nn.Module) for module in modules):
        raise TypeError(f"{name}.modules must hold nn.Modules, got {[type(m).__name__ for m in modules]}")
    return step


def compute_loss(model, method_name, loss_fn, batch, context):
    """The loss on ``batch`` by the rule every step shares (see the module docstring)."""
    if loss_fn is not None:
        return loss_fn(model, batch)
    method = getattr(model, method_name)
    if not context:
        return method(batch) if isinstance(batch, torch.Tensor) else method(*batch)
    if isinstance(batch, torch.Tensor) or len(batch) != 2:
        shape = "a Tensor" if isinstance(batch, torch.Tensor) else f"a tuple of {len(batch)} tensors"
        raise ValueError(f"context=True needs batches (x, context) of two tensors, got {shape}; "
                         "give the data as a tuple (x, labels)")
    x, context_batch = batch  # (B, ...), (B, ...)
    return method(x, context=context_batch)


def _check_loss_source(model, method_name, loss_fn, context, loss_fn_name):
    """The step can compute its loss: a callable ``loss_fn`` or a ``model.<method_name>`` method."""
    if loss_fn is None and not callable(getattr(model, method_name, None)):
        raise TypeError(f"{type(model).__name__} has no .{method_name}(batch) method; pass "
                        f"{loss_fn_name}=lambda model, batch: ...")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"{loss_fn_name} must be callable as {loss_fn_name}(model, batch), "
                        f"got {type(loss_fn).__name__}")
    if loss_fn is not None and context:
        raise ValueError(f"context=True chooses how model.{method_name} is called; a {loss_fn_name} receives the "
                         "whole batch (x, context) and unpacks it itself, so drop context=True")


def _check_module(model, name):
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(model).__name__}")
    return model


def _trainable_parameters(module, what):
    parameters = [p for p in module.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"{what} ({type(module).__name__}) has no parameters that require grad; nothing to train")
    return parameters


def make_optimizer(optimizer, parameters, lr, what="the model", **adam_options):
    """``optimizer`` as a ``torch.optim.Optimizer`` over ``parameters``: None builds Adam(lr, **adam_options)."""
    if optimizer is None:
        return torch.optim.Adam(parameters, lr=lr, **adam_options)
    if isinstance(optimizer, torch.optim.Optimizer):
        made = optimizer
    elif callable(optimizer):
        made = optimizer(parameters)
        if not isinstance(made, torch.optim.Optimizer):
            raise TypeError(f"optimizer(params) must return a torch.optim.Optimizer, got {type(made).__name__}")
    else:
        raise TypeError("optimizer must be None (Adam), a torch.optim.Optimizer or a callable params -> optimizer, "
                        f"got {type(optimizer).__name__}")
    ids = {id(p) for p in parameters}
    if not any(id(p) in ids for group in made.param_groups for p in group["params"]):
        raise ValueError(f"the optimizer holds none of the parameters of {what}; was it built for another model "
                         "instance? Build it from model.parameters() of the model you train")
    return made


def check_loss(loss, step, optimizer, what="training loss", *, advice=None, max_abs=None, max_abs_name="max_abs"):
    """The loss as a float, after checking it is a finite scalar tensor with a gradient and, when ``max_abs`` is
    given, at most ``max_abs`` in absolute value (``max_abs_name`` names that bound in the error; ``advice``
    replaces the default hint of the error)."""
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"the loss must be a torch.Tensor, got {type(loss).__name__} at step {step}")
    if loss.numel() != 1:
        raise ValueError(f"the loss must be a scalar, got shape {tuple(loss.shape)} at step {step}; "
                         "did you forget .mean()?")
    if not loss.requires_grad:
        raise ValueError(f"the loss at step {step} does not require grad; was it computed under torch.no_grad() "
                         "or detached?")
    value = loss.item()
    if not math.isfinite(value):
        problem = f"is {value} at step {step}"
    elif max_abs is not None and abs(value) > max_abs:
        problem = f"is {value:.4g} at step {step}, beyond +-{max_abs:g} ({max_abs_name}): it is exploding"
    else:
        return value
    lr = optimizer.param_groups[0].get("lr", "?")
    advice = advice or "gradient clipping (grad_clip=...), or check the model for log(0) or division by zero"
    raise FloatingPointError(f"the {what} {problem}; try a lower learning rate (now lr={lr}), {advice}")


def _descend(optimizer, loss, parameters, grad_clip):
    """One gradient step: theta <- optimizer_step(theta, grad L), with ||grad L||_2 <= grad_clip when given."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip is not None:
        nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimizer.step()


def lr_scheduler(optimizer, lr_schedule, num_steps):
    """A ``torch.optim.lr_scheduler.LambdaLR`` for ``lr_schedule`` over ``num_steps`` updates, or None for a constant
    learning rate. "cosine": the factor (1 + cos(pi t / T)) / 2 after t of T updates, 0 at the end (Loshchilov &
    Hutter 2017, without restarts); after T updates it stays 0."""
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
    if lr_schedule is None:
        return None
    if num_steps is None:
        raise ValueError(f"lr_schedule={lr_schedule!r} needs the number of updates it spans (schedule_steps, or "
                         "num_steps in fit)")
    check_positive_int(num_steps, "schedule_steps")
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, num_steps) / num_steps)))


class LossStep(Step):
    """The default step: one gradient step on one scalar loss, theta <- optimizer_step(theta, grad L(theta; B)).

    L(theta; B) is ``loss_fn(model, batch)``, by default ``model.loss(batch)`` (see ``compute_loss``
    for tuple batches and ``context``). Before the update the gradient is optionally rescaled so that
    ||grad L||_2 <= ``grad_clip``. Logs ``{"loss": L}``; the validation loss is L on the held-out batch.

    Args:
        model: the ``nn.Module`` to train.
        loss_fn: ``loss_fn(model, batch) -> scalar Tensor``, or None for the model's ``loss`` method.
        optimizer: None (Adam with ``lr`` and ``weight_decay``), a ``torch.optim.Optimizer`` built on the
            model's parameters, or a callable ``params -> optimizer``.
        lr, weight_decay: for the default Adam.
        grad_clip: maximum gradient norm, or None.
        context: batches are ``(x, context)`` and the loss is ``model.loss(x, context=context)``.
        lr_schedule, schedule_steps: None for a constant learning rate, or "cosine" over ``schedule_steps``
            updates (see :func:`lr_scheduler`; ``fit(..., lr_schedule=...)`` passes its number of steps).

    Attributes:
        num_updates: optimizer steps taken so far (error messages count steps from here).
    """

    def __init__(self, model, loss_fn=None, *, optimizer=None, lr=1e-3, weight_decay=0.0, grad_clip=None,
                 context=False, lr_schedule=None, schedule_steps=None):
        self.model = _check_module(model, "model")
        _check_loss_source(model, "loss", loss_fn, context, "loss_fn")
        check_number(lr, "lr")
        check_number(weight_decay, "weight_decay", allow_zero=True)
        self.grad_clip = check_number(grad_clip, "grad_clip", allow_none=True)
        self.loss_fn, self.context = loss_fn, bool(context)
        self.modules = (model,)
        self.trained_parameters = _trainable_parameters(model, "model")
        self.optimizer = make_optimizer(optimizer, self.trained_parameters, lr, weight_decay=weight_decay)
        self.scheduler = lr_scheduler(self.optimizer, lr_schedule, schedule_steps)
        self.num_updates = 0

    def loss(self, batch):
        """The scalar loss L(theta; B) of ``batch``, with its graph."""
        return compute_loss(self.model, "loss", self.loss_fn, batch, self.context)

    def __call__(self, batch):
        loss = self.loss(batch)
        value = check_loss(loss, self.num_updates + 1, self.optimizer)
        _descend(self.optimizer, loss, self.trained_parameters, self.grad_clip)
        if self.scheduler is not None:
            self.scheduler.step()
        self.num_updates += 1
        return {"loss": value}

    def validation_loss(self, batch):
        return float(self.loss(batch))


class AdversarialStep(Step):
    """Alternating critic and generator updates of a GAN (Algorithm 1 of Arjovsky et al. 2017).

    Every call takes one critic update on its batch B (real examples, (B, ...)), and every
    ``critic_steps``-th call then one generator update, so the critic sees a fresh batch each time:

        phi   <- critic_optimizer_step(phi, grad_phi L_critic(B))           every step
        theta <- generator_optimizer_step(theta, grad_theta L_generator(B))  every critic_steps-th step

    with phi the critic's and theta the generator's parameters. ``critic_loss(model, batch)`` draws the
    fakes itself (e.g. -[mean D(x) - mean D(G(z))] for a WGAN critic); ``generator_loss(model, batch)``
    gets the same batch for its size and context and may ignore the real examples. Each optimizer
    updates only its network; both gradients are cleared before every update. Logs ``critic_loss``
    every step and ``generator_loss`` on the steps that update the generator (``History.logs`` holds
    NaN on the others); ``History.train_loss`` is the critic loss. A GAN has no validation loss.

    Args:
        model: an ``nn.Module`` holding both networks (``nn.ModuleDict(generator=g, critic=d)`` will do).
        critic_loss, generator_loss: ``loss(model, batch) -> scalar Tensor``, or None for the model's
            ``critic_loss`` / ``generator_loss`` methods (called as in ``compute_loss``).
        generator, critic: the submodules of ``model`` each optimizer trains; default ``model.generator``
            and ``model.critic``.
        critic_steps: critic updates per generator update (n_critic; 5 in WGAN, 1 in the original GAN).
        critic_optimizer, generator_optimizer: like ``LossStep``'s ``optimizer``; default Adam with ``lr``
            and betas ``ADVERSARIAL_ADAM_BETAS``.
        lr: learning rate of the default optimizers.
        critic_weight_clip: clamp every critic parameter to [-c, c] after each critic update (the WGAN
            constraint), or None.
        context: batches are ``(x, context)``, passed as ``model.critic_loss(x, context=context)``.
        max_critic_loss: stop with ``FloatingPointError`` when |critic loss| exceeds it (an exploding critic;
            default ``MAX_CRITIC_LOSS``), None: no bound. A NaN or infinite loss always stops training.

    Attributes:
        critic_updates, generator_updates: updates taken so far.
    """

    loss_key = "critic_loss"

    def __init__(self, model, *, critic_loss=None, generator_loss=None, generator=None, critic=None,
                 critic_steps=1, critic_optimizer=None, generator_optimizer=None, lr=2e-4,
                 critic_weight_clip=None, context=False, max_critic_loss=MAX_CRITIC_LOSS):
        self.model = _check_module(model, "model")
        self.generator = _check_module(getattr(model, "generator", None) if generator is None else generator,
                                       "generator (default model.generator)")
        self.critic = _check_module(getattr(model, "critic", None) if critic is None else critic,
                                    "critic (default model.critic)")
        for name, network in (("generator", self.generator), ("critic", self.critic)):
            if not any(network is submodule for submodule in model.modules()):
                raise ValueError(f"the {name} must be a submodule of model, so that fit moves and saves it")
        _check_loss_source(model, "critic_loss", critic_loss, context, "critic_loss")
        _check_loss_source(model, "generator_loss", generator_loss, context, "generator_loss")
        self.critic_loss_fn, self.generator_loss_fn, self.context = critic_loss, generator_loss, bool(context)
        self.critic_steps = check_positive_int(critic_steps, "critic_steps")
        check_number(lr, "lr")
        self.critic_weight_clip = check_number(critic_weight_clip, "critic_weight_clip", allow_none=True)
        self.max_critic_loss = check_number(max_critic_loss, "max_critic_loss", allow_none=True)
        self.critic_parameters = _trainable_parameters(self.critic, "the critic")
        self.generator_parameters = _trainable_parameters(self.generator, "the generator")
        if {id(p) for p in self.critic_parameters} & {id(p) for p in self.generator_parameters}:
            raise ValueError("the generator and the critic share parameters; each must be updated by its own "
                             "optimizer only")
        self.critic_optimizer = make_optimizer(critic_optimizer, self.critic_parameters, lr, "the critic",
                                               betas=ADVERSARIAL_ADAM_BETAS)
        self.generator_optimizer = make_optimizer(generator_optimizer, self.generator_parameters, lr,
                                                  "the generator", betas=ADVERSARIAL_ADAM_BETAS)
        self.modules = (model,)
        self.critic_updates = self.generator_updates = 0

    def critic_loss(self, batch):
        return compute_loss(self.model, "critic_loss", self.critic_loss_fn, batch, self.context)

    def generator_loss(self, batch):
        return compute_loss(self.model, "generator_loss", self.generator_loss_fn, batch, self.context)

    def __call__(self, batch):
        step = self.critic_updates + 1
        loss = self.critic_loss(batch)
        value = check_loss(loss, step, self.critic_optimizer, "critic loss", advice=_ADVERSARIAL_ADVICE,
                           max_abs=self.max_critic_loss, max_abs_name="max_critic_loss")
        logs = {"critic_loss": value}
        _descend(self.critic_optimizer, loss, self.critic_parameters, grad_clip=None)
        if self.critic_weight_clip is not None:
            with torch.no_grad():
                for parameter in self.critic_parameters:
                    parameter.clamp_(-self.critic_weight_clip, self.critic_weight_clip)
        self.critic_updates += 1

        if self.critic_updates % self.critic_steps == 0:
            loss = self.generator_loss(batch)
            logs["generator_loss"] = check_loss(loss, step, self.generator_optimizer, "generator loss",
                                                advice=_ADVERSARIAL_ADVICE)
            _descend(self.generator_optimizer, loss, self.generator_parameters, grad_clip=None)
            self.generator_updates += 1
        return logs
