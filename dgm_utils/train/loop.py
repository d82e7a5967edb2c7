"""``fit``: draw batches, call the step object, validate, stop, record a ``History``.

The loop knows nothing about models (minGPT's ``trainer.py``): what one update does lives in the step
object (``steps.py``); ``fit`` only handles the data, the randomness, the clock and the bookkeeping.
"""

import contextlib
import dataclasses
import math
import numbers
import os
import time

import torch

from dgm_utils._validation import check_number, check_positive_int, check_seed
from dgm_utils.nn import eval_mode
from dgm_utils.train import batches as batching
from dgm_utils.train.environment import get_device
from dgm_utils.train.steps import LossStep, Step, check_step

__all__ = ["History", "fit"]

#: Validation on a sampler uses one fixed draw of this many examples (a fixed set keeps the
#: validation loss comparable from one evaluation to the next, which early stopping needs).
VALIDATION_SAMPLE_SIZE = 4096
#: Validation is computed in chunks of at least this many examples (no gradients are kept).
MIN_EVAL_BATCH_SIZE = 1024
#: Without ``eval_every`` and without epochs (sampler data), validate every this many steps.
DEFAULT_EVAL_EVERY = 100
#: The progress bar's read-out of the logged scalars is refreshed every this many steps.
POSTFIX_EVERY = 10
#: tqdm's own switch for every bar. ``fit`` reads it at each call: tqdm itself reads it only once, when it is
#: first imported, gives way to an explicit ``disable=`` argument, and its notebook bar ignores it.
PROGRESS_DISABLE_ENV_VAR = "TQDM_DISABLE"


@dataclasses.dataclass(repr=False)
class History:
    """What happened during ``fit``.

    Attributes:
        train_loss: training loss of every step, ``train_loss[i]`` at step ``i + 1`` (the step's
            ``loss_key`` scalar: ``"loss"``, or ``"critic_loss"`` for ``AdversarialStep``).
        val_loss: validation losses, ``val_loss[j]`` measured after ``val_steps[j]`` steps
            (step 0 is the model before training).
        val_steps: the step count of each validation.
        best_step: step of the lowest validation loss (``None`` without validation data).
        best_val_loss: the lowest validation loss (``None`` without validation data).
        num_steps: number of steps taken.
        wall_time: seconds spent in ``fit``.
        stopped_early: ``True`` when training ended before the requested number of steps,
            by early stopping or by the ``max_time`` cap; ``stop_reason`` says which.
        stop_reason: ``"completed"``, ``"early_stopping"`` or ``"max_time"``.
        logs: every scalar the step logged, ``logs[key][i]`` at step ``i + 1``; NaN at the steps
            that did not log ``key`` (e.g. ``"generator_loss"`` between generator updates).
    """

    train_loss: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_steps: list[int] = dataclasses.field(default_factory=list)
    best_step: int | None = None
    best_val_loss: float | None = None
    num_steps: int = 0
    wall_time: float = 0.0
    stopped_early: bool = False
    stop_reason: str = "completed"
    logs: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def record(self, logs, loss_key):
        """Append one step's logged scalars (a dict of real numbers holding ``loss_key``)."""
        if not isinstance(logs, dict) or loss_key not in logs:
            shown = sorted(logs) if isinstance(logs, dict) else type(logs).__name__
            raise TypeError(f"a step must return a dict of logged scalars holding {loss_key!r} (its loss_key), "
                            f"got {shown}")
        values = {}
        for key, value in logs.items():
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                value = value.item()
            if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"a step's logs must map names to real numbers, got {key!r}: {type(value).__name__}")
            values[key] = float(value)
        for key in values:
            if key not in self.logs:  # first logged now: missing at the steps before
                self.logs[key] = [math.nan] * len(self.train_loss)
        for key, column in self.logs.items():
            column.append(values.get(key, math.nan))
        self.train_loss.append(values[loss_key])

    def __repr__(self):
        # The loss lists can hold thousands of numbers; summarize them instead of printing them.
        final_train = f"{self.train_loss[-1]:.4g}" if self.train_loss else None
        best_val = f"{self.best_val_loss:.4g}" if self.best_val_loss is not None else None
        return (f"History(num_steps={self.num_steps}, final_train_loss={final_train}, "
                f"best_val_loss={best_val}, best_step={self.best_step}, "
                f"num_validations={len(self.val_loss)}, wall_time={self.wall_time:.2f}s, "
                f"stop_reason={self.stop_reason!r}, logs={sorted(self.logs)})")


def _progress_enabled(progress):
    """The bar is shown when asked for, unless ``TQDM_DISABLE`` is set (any non-empty value, as tqdm reads it)."""
    return bool(progress) and not os.environ.get(PROGRESS_DISABLE_ENV_VAR)


def _schedule_steps(train_data, batch_size, num_steps, num_epochs):
    """The number of updates a learning-rate schedule spans: num_steps, or num_epochs of tensor batches."""
    if num_steps is not None or num_epochs is None:
        return num_steps  # fit checks num_steps / num_epochs itself
    batch = batching.as_batch(train_data, "train_data")
    if batch is None or not isinstance(num_epochs, int) or not isinstance(batch_size, int) or batch_size < 1:
        return None  # fit raises its own error for these
    return num_epochs * _steps_per_epoch(batch, batch_size)


def _steps_per_epoch(batch, batch_size):
    """Batches in one pass over tensor data (the last one may be smaller)."""
    return math.ceil(batching.num_examples(batch) / batch_size)


def _resolve_step(model, step, shorthands):
    """The step object ``fit`` drives and the modules it holds (with ``model`` first when given)."""
    given = [name for name, value in shorthands.items() if value is not None]
    if step is None:
        step = LossStep(model, **{name: shorthands[name] for name in given})
        return step, tuple(step.modules)
    if given:
        raise ValueError(f"{', '.join(given)} configure the default LossStep; with step=... give them to the "
                         f"step itself, e.g. step=LossStep(model, {given[0]}=...)")
    check_step(step)
    if model is None:
        return step, tuple(step.modules)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module or None (with step=...), got {type(model).__name__}")
    model_ids = {id(p) for p in model.parameters()}
    step_ids = {id(p) for module in step.modules for p in module.parameters()}
    if model_ids and not model_ids & step_ids:
        raise ValueError(f"step trains none of the parameters of {type(model).__name__}; was it built for another "
                         "model instance?")
    others = tuple(module for module in step.modules if module is not model)
    return step, (model,) + others


def fit(model, train_data, *, step=None, val_data=None, batch_size=128, num_steps=None, num_epochs=None,
        eval_every=None, patience=None, max_time=None, seed=0, device=None, progress=True, restore_best=True,
        loss_fn=None, optimizer=None, lr=None, weight_decay=None, grad_clip=None, lr_schedule=None):
    """Train by calling ``step(batch)`` on mini-batches; return a ``History``.

    Each step draws a batch B (a Tensor (B, ...) or a tuple of Tensors sharing B) and calls the step
    object, which updates its parameters and returns its logged scalars. By default the step is
    ``LossStep(model, loss_fn, ...)``: theta <- Adam_step(theta, grad L(theta; B)) with L = ``model.loss(batch)``.

    Args:
        model: the ``nn.Module`` to train with the default ``LossStep``; with ``step=...``, None or the
            module the step trains (then moved, switched and saved with the step's modules).
        train_data: a Tensor (N, ...) of examples (shuffled mini-batches, a new order every epoch, the last
            batch of an epoch may be smaller), a tuple of such tensors sharing N (e.g. ``(x, labels)``),
            or a sampler with ``.sample(n)`` (a fresh batch every step; ``generator=`` is passed when the
            method takes it).
        step: a step object (``LossStep``, ``AdversarialStep``, ``EMA``, or any object with the protocol
            of ``steps.Step``); None builds ``LossStep`` from the shorthands below.
        val_data: the same kinds as ``train_data``, or None. A sampler is sampled once (a fixed set of
            ``VALIDATION_SAMPLE_SIZE`` examples). The validation loss is the example-weighted mean of
            ``step.validation_loss`` over chunks, computed with every module in eval mode under
            ``torch.no_grad()`` (a loss that needs input gradients, e.g. score matching, must enable them
            itself with ``torch.enable_grad()``).
        batch_size: examples per step.
        num_steps, num_epochs: the training length; give exactly one (epochs need tensor data).
        eval_every: validate every this many steps; default once per epoch for tensor data, else every
            ``DEFAULT_EVAL_EVERY`` steps. The model is also validated before training and at the end.
        patience: stop after this many validations in a row without a lower validation loss.
        max_time: stop after this many seconds of wall-clock time (checked after every step).
        seed: seeds batch order, sampler draws and torch's global generator inside ``fit`` (restored after),
            so two runs with the same seed and the same initial model are identical. None: no seeding.
        device: where to train; default ``get_device()`` (CUDA when available).
        progress: show a tqdm progress bar; the ``TQDM_DISABLE`` environment variable switches it off.
        restore_best: with ``val_data``, load the modules' state of the best validation step at the end.
        loss_fn, optimizer, lr, weight_decay, grad_clip: shorthands for ``LossStep(model, loss_fn,
            optimizer=..., lr=..., weight_decay=..., grad_clip=...)`` (defaults lr=1e-3, weight_decay=0);
            not allowed together with ``step``.
        lr_schedule: the same for ``LossStep(..., lr_schedule=..., schedule_steps=num_steps)``: None (constant) or
            "cosine", decaying the learning rate to 0 over the run (``num_steps``, or the steps of ``num_epochs``).

    Returns:
        ``History`` with per-step training losses and logs, validation losses and the stopping reason.

    Raises:
        FloatingPointError: when the loss becomes NaN or infinite (names the step; try a lower ``lr``).
    """
    start_time = time.perf_counter()
    shorthands = dict(loss_fn=loss_fn, optimizer=optimizer, lr=lr, weight_decay=weight_decay, grad_clip=grad_clip)
    if lr_schedule is not None:
        shorthands.update(lr_schedule=lr_schedule, schedule_steps=_schedule_steps(train_data, batch_size, num_steps,
                                                                                    num_epochs))
    step, modules = _resolve_step(model, step, shorthands)

    train_batch = batching.as_batch(train_data, "train_data")
    batching.check_data(train_data, "train_data")
    if val_data is not None:
        batching.check_data(val_data, "val_data")
    if (num_steps is None) == (num_epochs is None):
        raise ValueError(f"give exactly one of num_steps and num_epochs, got num_steps={num_steps!r}, "
                         f"num_epochs={num_epochs!r}")
    check_positive_int(num_steps, "num_steps", allow_none=True)
    check_positive_int(num_epochs, "num_epochs", allow_none=True)
    if num_epochs is not None and train_batch is None:
        raise ValueError("num_epochs needs train_data as a Tensor of examples; a sampler has no epochs, "
                         "use num_steps")
    check_positive_int(batch_size, "batch_size")
    check_positive_int(eval_every, "eval_every", allow_none=True)
    check_positive_int(patience, "patience", allow_none=True)
    if patience is not None and val_data is None:
        raise ValueError("patience (early stopping) needs val_data; got val_data=None")
    check_number(max_time, "max_time", allow_none=True)
    if seed is not None:
        check_seed(seed)

    device = get_device() if device is None else torch.device(device)
    for module in modules:
        module.to(device)

    if train_batch is not None:
        steps_per_epoch = _steps_per_epoch(train_batch, batch_size)
        total_steps = num_steps if num_steps is not None else num_epochs * steps_per_epoch
        eval_every = steps_per_epoch if eval_every is None else eval_every
    else:
        total_steps = num_steps
        eval_every = DEFAULT_EVAL_EVERY if eval_every is None else eval_every

    rng_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices, enabled=seed is not None):
        generator = torch.Generator()
        if seed is not None:
            torch.manual_seed(seed)
            generator.manual_seed(seed)
        else:
            generator.seed()
        if train_batch is not None:
            train_batches = batching.tensor_batches(train_batch, batch_size, generator)
        else:
            train_batches = batching.sampler_batches(train_data, batch_size, generator)
        val_batch = None
        if val_data is not None:
            val_batch = batching.as_batch(val_data, "val_data")
            if val_batch is None:
                val_generator = torch.Generator().manual_seed((generator.initial_seed() + 1) % 2**63)
                val_batch = batching.draw(val_data, VALIDATION_SAMPLE_SIZE, val_generator)
        loop = _Loop(step, modules, val_batch, device=device, eval_batch_size=max(batch_size, MIN_EVAL_BATCH_SIZE),
                     restore_best=restore_best)
        history = loop.run(train_batches, total_steps=total_steps, eval_every=eval_every, patience=patience,
                           max_time=max_time, progress=_progress_enabled(progress), start_time=start_time)
    return history


def _readout(history):
    """The progress bar's text: the scalars logged at the last step."""
    return {key: f"{column[-1]:.4f}" for key, column in history.logs.items() if not math.isnan(column[-1])}


class _Loop:
    """The state of one ``fit`` call: the history, the best state, validations without improvement."""

    def __init__(self, step, modules, val_batch, *, device, eval_batch_size, restore_best):
        self.step, self.modules, self.val_batch = step, modules, val_batch
        self.device, self.eval_batch_size, self.restore_best = device, eval_batch_size, restore_best
        self.loss_key = getattr(step, "loss_key", Step.loss_key)
        self.history = History()
        self.best_state = None
        self.validations_without_improvement = 0

    def validation_loss(self):
        """Example-weighted mean of ``step.validation_loss`` over the validation chunks, in eval mode, no grad."""
        total, count = 0.0, 0
        with contextlib.ExitStack() as stack:
            for module in self.modules:
                stack.enter_context(eval_mode(module))
            stack.enter_context(torch.no_grad())
            for chunk in batching.chunks(self.val_batch, self.eval_batch_size):
                size = batching.num_examples(chunk)
                total += float(self.step.validation_loss(batching.to_device(chunk, self.device))) * size
                count += size
        return total / count

    def validate(self, step_count):
        history = self.history
        val_loss = self.validation_loss()
        history.val_loss.append(val_loss)
        history.val_steps.append(step_count)
        best = history.best_val_loss
        if best is None or val_loss < best or (math.isnan(best) and not math.isnan(val_loss)):
            history.best_val_loss, history.best_step = val_loss, step_count
            self.validations_without_improvement = 0
            if self.restore_best:
                self.best_state = [{key: value.detach().clone() for key, value in module.state_dict().items()}
                                   for module in self.modules]
        else:
            self.validations_without_improvement += 1
        return val_loss

    def run(self, train_batches, *, total_steps, eval_every, patience, max_time, progress, start_time):
        from tqdm.auto import tqdm  # imported here: importing dgm_utils.train stays cheap

        history, validating = self.history, self.val_batch is not None
        modes = [module.training for module in self.modules]
        for module in self.modules:
            module.train()
        bar = tqdm(total=total_steps, disable=not progress, dynamic_ncols=True)
        try:
            if validating:
                self.validate(0)
            step_count = 0
            while step_count < total_steps:
                batch = batching.to_device(next(train_batches), self.device)
                history.record(self.step(batch), self.loss_key)
                step_count += 1
                bar.update(1)
                if validating and (step_count % eval_every == 0 or step_count == total_steps):
                    val_loss = self.validate(step_count)
                    bar.set_postfix(_readout(history) | {"val_loss": f"{val_loss:.4f}"}, refresh=False)
                    if (patience is not None and self.validations_without_improvement >= patience
                            and step_count < total_steps):
                        history.stop_reason = "early_stopping"
                        break
                elif step_count % POSTFIX_EVERY == 0 or step_count == 1:
                    bar.set_postfix(_readout(history), refresh=False)
                if max_time is not None and time.perf_counter() - start_time > max_time and step_count < total_steps:
                    history.stop_reason = "max_time"
                    if validating and history.val_steps[-1] != step_count:
                        self.validate(step_count)
                    break
        finally:
            bar.close()
            for module, mode in reversed(list(zip(self.modules, modes))):
                module.train(mode)

        if self.best_state is not None:
            for module, state in zip(self.modules, self.best_state):
                module.load_state_dict(state)
        history.num_steps = len(history.train_loss)
        history.stopped_early = history.stop_reason != "completed"
        history.wall_time = time.perf_counter() - start_time
        return history
