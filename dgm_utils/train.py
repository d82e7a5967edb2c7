"""One training loop for every model of the course.

``fit`` knows nothing about the model it trains (in the spirit of minGPT's ``trainer.py``): it asks
``loss_fn(model, batch)`` for a scalar, by default ``model.loss(batch)``, and takes gradient steps on it.
The data is either a tensor of examples, cut into shuffled mini-batches each epoch, or a *sampler*
(anything with ``.sample(n)``, e.g. a 2-D toy distribution), which gives a fresh batch every step.

    history = fit(model, x_train, val_data=x_val, num_epochs=50, patience=5)
    dgm.plot.training_curves(history)

Randomness inside ``fit`` (batch order, sampler draws, and the noise a loss draws from torch's global
generator, e.g. a VAE's reparameterization) is seeded by ``seed``; the caller's global random state is
left as it was.
"""

import copy
import dataclasses
import inspect
import math
import os
import random
import time

import numpy as np
import torch

__all__ = ["History", "fit", "get_device", "seed_everything"]

#: Validation on a sampler uses one fixed draw of this many examples (a fixed set keeps the
#: validation loss comparable from one evaluation to the next, which early stopping needs).
VALIDATION_SAMPLE_SIZE = 4096
#: Validation is computed in chunks of at least this many examples (no gradients are kept).
MIN_EVAL_BATCH_SIZE = 1024
#: Without ``eval_every`` and without epochs (sampler data), validate every this many steps.
DEFAULT_EVAL_EVERY = 100
#: The progress bar's loss read-out is refreshed every this many steps.
POSTFIX_EVERY = 10
#: Environment variable that nbgrader sets while autograding; no stderr output is allowed then.
NBGRADER_ENV_VAR = "NBGRADER_EXECUTION"


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
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclasses.dataclass(repr=False)
class History:
    """What happened during ``fit``.

    Attributes:
        train_loss: training loss of every step, ``train_loss[i]`` at step ``i + 1``.
        val_loss: validation losses, ``val_loss[j]`` measured after ``val_steps[j]`` steps
            (step 0 is the model before training).
        val_steps: the step count of each validation.
        best_step: step of the lowest validation loss (``None`` without validation data).
        best_val_loss: the lowest validation loss (``None`` without validation data).
        num_steps: number of optimizer steps taken.
        wall_time: seconds spent in ``fit``.
        stopped_early: ``True`` when training ended before the requested number of steps,
            by early stopping or by the ``max_time`` cap; ``stop_reason`` says which.
        stop_reason: ``"completed"``, ``"early_stopping"`` or ``"max_time"``.
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

    def __repr__(self):
        # The loss lists can hold thousands of numbers; summarize them instead of printing them.
        final_train = f"{self.train_loss[-1]:.4g}" if self.train_loss else None
        best_val = f"{self.best_val_loss:.4g}" if self.best_val_loss is not None else None
        return (f"History(num_steps={self.num_steps}, final_train_loss={final_train}, "
                f"best_val_loss={best_val}, best_step={self.best_step}, "
                f"num_validations={len(self.val_loss)}, wall_time={self.wall_time:.2f}s, "
                f"stop_reason={self.stop_reason!r})")


# ----------------------------------------------------------------------------------------------------
# Data: tensors of examples or samplers. Internally a batch is always a tuple of tensors.


def _as_tensor_tuple(data, name):
    """``data`` as a tuple of tensors sharing the first dimension, or None when it is a sampler."""
    tensors = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not tensors or not all(isinstance(t, torch.Tensor) for t in tensors):
        return None
    for t in tensors:
        if t.dim() == 0:
            raise ValueError(f"{name} must have a first (example) dimension, got a 0-d tensor")
        if len(t) != len(tensors[0]):
            raise ValueError(f"{name}: every tensor must have the same number of examples, "
                             f"got {[len(t) for t in tensors]}")
    if len(tensors[0]) == 0:
        raise ValueError(f"{name} holds no examples (shape {tuple(tensors[0].shape)})")
    return tensors


def _is_sampler(data):
    return callable(getattr(data, "sample", None))


def _describe_data_error(data, name):
    return TypeError(f"{name} must be a Tensor (N, ...), a tuple of Tensors sharing N, or an object with "
                     f".sample(n) (e.g. a toy distribution), got {type(data).__name__}")


def _draw(sampler, num_samples, generator):
    """``sampler.sample(num_samples)`` as a tuple of tensors, using ``generator`` when it accepts one."""
    try:
        accepts_generator = "generator" in inspect.signature(sampler.sample).parameters
    except (TypeError, ValueError):  # builtins without a signature
        accepts_generator = False
    with torch.no_grad():
        if accepts_generator:
            sample = sampler.sample(num_samples, generator=generator)
        else:
            sample = sampler.sample(num_samples)
    batch = _as_tensor_tuple(sample, "sampler.sample(n)")
    if batch is None:
        raise TypeError(f"sampler.sample(n) must return a Tensor or a tuple of Tensors, got {type(sample).__name__}")
    return batch


def _tensor_batches(tensors, batch_size, generator):
    """Endless mini-batches: each epoch is a fresh permutation cut into chunks of ``batch_size``."""
    num_examples = len(tensors[0])
    while True:
        order = torch.randperm(num_examples, generator=generator)  # (N,)
        for start in range(0, num_examples, batch_size):
            index = order[start:start + batch_size]  # (B,)
            yield tuple(t[index.to(t.device)] for t in tensors)


def _sampler_batches(sampler, batch_size, generator):
    while True:
        yield _draw(sampler, batch_size, generator)  # grad mode is restored before each yield


def _chunks(tensors, chunk_size):
    for start in range(0, len(tensors[0]), chunk_size):
        yield tuple(t[start:start + chunk_size] for t in tensors)


# ----------------------------------------------------------------------------------------------------
# Argument checks.


def _check_int(value, name, *, minimum=1, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        expected = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def _check_positive_number(value, name, *, allow_none=False, allow_zero=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        expected = "a number or None" if allow_none else "a number"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {expected}, got {value}")


def _make_optimizer(optimizer, parameters, lr, weight_decay):
    if optimizer is None:
        return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay)
    if isinstance(optimizer, torch.optim.Optimizer):
        made = optimizer
    elif callable(optimizer):
        made = optimizer(parameters)
        if not isinstance(made, torch.optim.Optimizer):
            raise TypeError(f"optimizer(params) must return a torch.optim.Optimizer, got {type(made).__name__}")
    else:
        raise TypeError("optimizer must be None (Adam), a torch.optim.Optimizer or a callable params -> optimizer, "
                        f"got {type(optimizer).__name__}")
    model_ids = {id(p) for p in parameters}
    if not any(id(p) in model_ids for group in made.param_groups for p in group["params"]):
        raise ValueError("the optimizer holds none of the model's parameters; was it built for another model "
                         "instance? Build it from model.parameters() of the model you pass to fit")
    return made


def _progress_enabled(progress):
    return bool(progress) and NBGRADER_ENV_VAR not in os.environ


# ----------------------------------------------------------------------------------------------------
# The loop.


def fit(model, train_data, *, val_data=None, loss_fn=None, optimizer=None, lr=1e-3, batch_size=128,
        num_steps=None, num_epochs=None, eval_every=None, patience=None, max_time=None, seed=0, device=None,
        grad_clip=None, weight_decay=0.0, progress=True, restore_best=True):
    """Minimize ``loss_fn(model, batch)`` by mini-batch gradient descent; return a ``History``.

    Each step draws a batch B, computes the scalar loss L(theta; B), and updates
    theta <- optimizer_step(theta, grad L) (Adam by default), after optionally rescaling the gradient
    so that ||grad L||_2 <= ``grad_clip``.

    Args:
        model: an ``nn.Module``; moved to ``device``.
        train_data: a Tensor (N, ...) of examples (shuffled mini-batches, a new order every epoch, the last
            batch of an epoch may be smaller), a tuple of such tensors sharing N (e.g. ``(x, labels)``),
            or a sampler with ``.sample(n)`` (a fresh batch every step; ``generator=`` is passed when the
            method takes it).
        val_data: the same kinds as ``train_data``, or None. A sampler is sampled once (a fixed set of
            ``VALIDATION_SAMPLE_SIZE`` examples). The validation loss is the example-weighted mean of
            ``loss_fn`` over chunks, computed in eval mode under ``torch.no_grad()`` (a loss that needs
            input gradients, e.g. score matching, must enable them itself with ``torch.enable_grad()``).
        loss_fn: ``loss_fn(model, batch) -> scalar Tensor``; default ``model.loss(batch)``
            (``model.loss(*batch)`` for tuple data).
        optimizer: None (Adam with ``lr`` and ``weight_decay``), a ``torch.optim.Optimizer`` built on the
            model's parameters, or a callable ``params -> optimizer``.
        lr, weight_decay: for the default Adam.
        batch_size: examples per step.
        num_steps, num_epochs: the training length; give exactly one (epochs need tensor data).
        eval_every: validate every this many steps; default once per epoch for tensor data, else every
            ``DEFAULT_EVAL_EVERY`` steps. The model is also validated before training and at the end.
        patience: stop after this many validations in a row without a lower validation loss.
        max_time: stop after this many seconds of wall-clock time (checked after every step).
        seed: seeds batch order, sampler draws and torch's global generator inside ``fit`` (restored after),
            so two runs with the same seed and the same initial model are identical. None: no seeding.
        device: where to train; default ``get_device()`` (CUDA when available).
        grad_clip: maximum gradient norm, or None.
        progress: show a tqdm progress bar (never when the ``NBGRADER_EXECUTION`` env var is set).
        restore_best: with ``val_data``, load the parameters of the best validation step at the end.

    Returns:
        ``History`` with per-step training losses, validation losses and the stopping reason.

    Raises:
        FloatingPointError: when the loss becomes NaN or infinite (names the step; try a lower ``lr``).
    """
    start_time = time.perf_counter()
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if loss_fn is None and not callable(getattr(model, "loss", None)):
        raise TypeError(f"{type(model).__name__} has no .loss(batch) method; pass loss_fn=lambda model, batch: ...")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable as loss_fn(model, batch), got {type(loss_fn).__name__}")

    train_tensors = _as_tensor_tuple(train_data, "train_data")
    if train_tensors is None and not _is_sampler(train_data):
        raise _describe_data_error(train_data, "train_data")
    if val_data is not None and _as_tensor_tuple(val_data, "val_data") is None and not _is_sampler(val_data):
        raise _describe_data_error(val_data, "val_data")
    is_tuple_data = isinstance(train_data, (tuple, list))

    if (num_steps is None) == (num_epochs is None):
        raise ValueError(f"give exactly one of num_steps and num_epochs, got num_steps={num_steps!r}, "
                         f"num_epochs={num_epochs!r}")
    _check_int(num_steps, "num_steps", allow_none=True)
    _check_int(num_epochs, "num_epochs", allow_none=True)
    if num_epochs is not None and train_tensors is None:
        raise ValueError("num_epochs needs train_data as a Tensor of examples; a sampler has no epochs, "
                         "use num_steps")
    _check_int(batch_size, "batch_size")
    _check_int(eval_every, "eval_every", allow_none=True)
    _check_int(patience, "patience", allow_none=True)
    if patience is not None and val_data is None:
        raise ValueError("patience (early stopping) needs val_data; got val_data=None")
    _check_positive_number(lr, "lr")
    _check_positive_number(weight_decay, "weight_decay", allow_zero=True)
    _check_positive_number(max_time, "max_time", allow_none=True)
    _check_positive_number(grad_clip, "grad_clip", allow_none=True)
    if seed is not None:
        _check_int(seed, "seed", minimum=0)

    device = get_device() if device is None else torch.device(device)
    model.to(device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError(f"{type(model).__name__} has no parameters that require grad; nothing to train")
    optimizer = _make_optimizer(optimizer, parameters, lr, weight_decay)

    if train_tensors is not None:
        steps_per_epoch = math.ceil(len(train_tensors[0]) / batch_size)
        total_steps = num_steps if num_steps is not None else num_epochs * steps_per_epoch
        if eval_every is None:
            eval_every = steps_per_epoch
    else:
        total_steps = num_steps
        if eval_every is None:
            eval_every = DEFAULT_EVAL_EVERY

    def compute_loss(batch):
        if loss_fn is not None:
            return loss_fn(model, batch if is_tuple_data else batch[0])
        return model.loss(*batch)

    rng_devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=rng_devices, enabled=seed is not None):
        generator = torch.Generator()
        if seed is not None:
            torch.manual_seed(seed)
            generator.manual_seed(seed)
        else:
            generator.seed()
        if train_tensors is not None:
            batches = _tensor_batches(train_tensors, batch_size, generator)
        else:
            batches = _sampler_batches(train_data, batch_size, generator)
        val_tensors = None
        if val_data is not None:
            val_tensors = _as_tensor_tuple(val_data, "val_data")
            if val_tensors is None:
                val_generator = torch.Generator().manual_seed((generator.initial_seed() + 1) % 2**63)
                val_tensors = _draw(val_data, VALIDATION_SAMPLE_SIZE, val_generator)
        history = _train_loop(model, optimizer, parameters, batches, compute_loss, val_tensors,
                              total_steps=total_steps, eval_every=eval_every, patience=patience,
                              max_time=max_time, grad_clip=grad_clip, device=device,
                              eval_batch_size=max(batch_size, MIN_EVAL_BATCH_SIZE),
                              progress=_progress_enabled(progress), restore_best=restore_best,
                              start_time=start_time)
    return history


def _to_device(batch, device):
    return tuple(t.to(device, non_blocking=True) for t in batch)


def _validate(model, compute_loss, val_tensors, eval_batch_size, device):
    """Example-weighted mean of the loss over ``val_tensors`` in eval mode, without gradients."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for chunk in _chunks(val_tensors, eval_batch_size):
                loss = compute_loss(_to_device(chunk, device))
                total += float(loss) * len(chunk[0])
                count += len(chunk[0])
    finally:
        model.train(was_training)
    return total / count


def _train_loop(model, optimizer, parameters, batches, compute_loss, val_tensors, *, total_steps, eval_every,
                patience, max_time, grad_clip, device, eval_batch_size, progress, restore_best, start_time):
    from tqdm.auto import tqdm  # imported here: importing dgm_utils.train stays cheap

    history = History()
    best_state = None
    validations_without_improvement = 0
    was_training = model.training
    model.train()

    def validate(step):
        nonlocal best_state, validations_without_improvement
        val_loss = _validate(model, compute_loss, val_tensors, eval_batch_size, device)
        history.val_loss.append(val_loss)
        history.val_steps.append(step)
        best = history.best_val_loss
        if best is None or val_loss < best or (math.isnan(best) and not math.isnan(val_loss)):
            history.best_val_loss, history.best_step = val_loss, step
            validations_without_improvement = 0
            if restore_best:
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            validations_without_improvement += 1
        return val_loss

    bar = tqdm(total=total_steps, disable=not progress, dynamic_ncols=True)
    try:
        if val_tensors is not None:
            validate(0)
        step = 0
        while step < total_steps:
            batch = _to_device(next(batches), device)
            loss = compute_loss(batch)
            loss_value = _check_loss(loss, step + 1, optimizer)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
            optimizer.step()
            step += 1
            history.train_loss.append(loss_value)
            bar.update(1)

            if val_tensors is not None and (step % eval_every == 0 or step == total_steps):
                val_loss = validate(step)
                bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", val_loss=f"{val_loss:.4f}", refresh=False)
                if patience is not None and validations_without_improvement >= patience and step < total_steps:
                    history.stop_reason = "early_stopping"
                    break
            elif step % POSTFIX_EVERY == 0 or step == 1:
                bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", refresh=False)
            if max_time is not None and time.perf_counter() - start_time > max_time and step < total_steps:
                history.stop_reason = "max_time"
                if val_tensors is not None and history.val_steps[-1] != step:
                    validate(step)
                break
    finally:
        bar.close()
        model.train(was_training)

    if best_state is not None:
        model.load_state_dict(best_state)
    history.num_steps = len(history.train_loss)
    history.stopped_early = history.stop_reason != "completed"
    history.wall_time = time.perf_counter() - start_time
    return history


def _check_loss(loss, step, optimizer):
    """The loss as a float, after checking it is a finite scalar tensor with a gradient."""
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
        lr = optimizer.param_groups[0].get("lr", "?")
        raise FloatingPointError(f"the training loss is {value} at step {step}; try a lower learning rate "
                                 f"(now lr={lr}), gradient clipping (grad_clip=...), or check the model for "
                                 "log(0) or division by zero")
    return value
