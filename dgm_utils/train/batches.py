"""Batches for ``fit``: cut tensors of examples into shuffled mini-batches, or draw them from a sampler.

A *batch* is what a step object receives: a Tensor (B, ...) when the data is one tensor (or a sampler
returns one), else a tuple of Tensors that share the first dimension B (e.g. ``(x, labels)``).
"""

import inspect

import torch

__all__ = ["as_batch", "is_sampler", "check_data", "draw", "tensor_batches", "sampler_batches", "chunks",
           "num_examples", "to_device"]


def as_batch(data, name):
    """``data`` as a batch (a Tensor (N, ...) or a tuple of Tensors sharing N), or None when it is not tensors."""
    if isinstance(data, torch.Tensor):
        tensors = (data,)
    elif isinstance(data, (tuple, list)) and data and all(isinstance(t, torch.Tensor) for t in data):
        tensors = tuple(data)
    else:
        return None
    for t in tensors:
        if t.dim() == 0:
            raise ValueError(f"{name} must have a first (example) dimension, got a 0-d tensor")
        if len(t) != len(tensors[0]):
            raise ValueError(f"{name}: every tensor must have the same number of examples, "
                             f"got {[len(t) for t in tensors]}")
    if len(tensors[0]) == 0:
        raise ValueError(f"{name} holds no examples (shape {tuple(tensors[0].shape)})")
    return data if isinstance(data, torch.Tensor) else tensors


def is_sampler(data):
    return callable(getattr(data, "sample", None))


def check_data(data, name):
    """Raise ``TypeError`` unless ``data`` is tensor data or a sampler."""
    if as_batch(data, name) is None and not is_sampler(data):
        raise TypeError(f"{name} must be a Tensor (N, ...), a tuple of Tensors sharing N, or an object with "
                        f".sample(n) (e.g. a toy distribution), got {type(data).__name__}")


def _apply(batch, function):
    """``function`` applied to every tensor of ``batch``, keeping the kind (Tensor or tuple)."""
    if isinstance(batch, torch.Tensor):
        return function(batch)
    return tuple(function(t) for t in batch)


def num_examples(batch):
    return len(batch) if isinstance(batch, torch.Tensor) else len(batch[0])


def to_device(batch, device):
    return _apply(batch, lambda t: t.to(device, non_blocking=True))


def draw(sampler, num_samples, generator):
    """``sampler.sample(num_samples)`` as a batch, passing ``generator`` when the method accepts one."""
    try:
        accepts_generator = "generator" in inspect.signature(sampler.sample).parameters
    except (TypeError, ValueError):  # builtins without a signature
        accepts_generator = False
    with torch.no_grad():
        if accepts_generator:
            sample = sampler.sample(num_samples, generator=generator)
        else:
            sample = sampler.sample(num_samples)
    batch = as_batch(sample, "sampler.sample(n)")
    if batch is None:
        raise TypeError(f"sampler.sample(n) must return a Tensor or a tuple of Tensors, got {type(sample).__name__}")
    return batch


def tensor_batches(data, batch_size, generator):
    """Endless mini-batches of the batch ``data``: each epoch is a fresh permutation cut into ``batch_size`` chunks."""
    count = num_examples(data)
    while True:
        order = torch.randperm(count, generator=generator)  # (N,)
        for start in range(0, count, batch_size):
            index = order[start:start + batch_size]  # (B,)
            yield _apply(data, lambda t: t[index.to(t.device)])


def sampler_batches(sampler, batch_size, generator):
    while True:
        yield draw(sampler, batch_size, generator)  # grad mode is restored before each yield


def chunks(data, chunk_size):
    """The batch ``data`` in consecutive pieces of at most ``chunk_size`` examples."""
    for start in range(0, num_examples(data), chunk_size):
        yield _apply(data, lambda t: t[start:start + chunk_size])
