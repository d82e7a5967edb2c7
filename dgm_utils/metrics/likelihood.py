"""Likelihood metrics: the NLL in nats per example (exact or a bound, and always labelled which), bits per
dimension, and on the toys the gap to the true entropy, NLL(q) - H(p) = KL(p || q)."""

import math

import torch
from torch import nn

from dgm_utils._validation import check_int, check_positive_int, check_real
from dgm_utils.base import NLL, DensityNotAvailable, Likelihood, likelihood_of
from dgm_utils.data import ToyDistribution
from dgm_utils.nn import eval_mode

__all__ = ["LogProbEvaluator", "nll", "bits_per_dim", "evaluate_nll", "kl_gap"]

#: kl_gap evaluates the model on batches of this many samples.
KL_GAP_BATCH_SIZE = 1024


class LogProbEvaluator:
    """Context manager giving a no-grad function x -> log p(x) (N,) for a model or a function.

    An exact model is evaluated with ``log_prob``; a bounded one (``exact=False`` only) with
    ``log_prob_bound(x, num_samples=K, generator=...)``, and ``kind``/``estimator`` say so. Anything else
    raises :class:`dgm_utils.base.DensityNotAvailable` with what the model offers instead.
    """

    def __init__(self, model_or_fn, *, exact=False, num_samples=None, generator=None):
        declares_likelihood = hasattr(model_or_fn, "likelihood")
        if not declares_likelihood and not callable(getattr(model_or_fn, "log_prob", None)) and (
                isinstance(model_or_fn, nn.Module) or not callable(model_or_fn)):
            raise TypeError(f"expected a model with a log_prob method or a function x -> log p(x), "
                            f"got {type(model_or_fn).__name__}")
        likelihood = likelihood_of(model_or_fn)
        self.kind, self.estimator = "exact", "exact"
        if likelihood is Likelihood.EXACT and callable(getattr(model_or_fn, "log_prob", None)):
            self.function = model_or_fn.log_prob
        elif likelihood is Likelihood.EXACT and callable(model_or_fn) and not isinstance(model_or_fn, nn.Module):
            self.function = model_or_fn
        elif likelihood is Likelihood.BOUND and not exact:
            num_samples = model_or_fn.default_bound_samples if num_samples is None else num_samples
            check_positive_int(num_samples, "num_samples")
            self.function = lambda x: model_or_fn.log_prob_bound(x, num_samples=num_samples, generator=generator)
            self.kind, self.estimator = "upper bound", f"{model_or_fn.bound_name}, K={num_samples}"
        elif likelihood is Likelihood.BOUND:
            raise DensityNotAvailable(f"{type(model_or_fn).__name__} has only a lower bound on log p(x) "
                                      f"({model_or_fn.bound_name}); this needs an exact, normalized log_prob")
        else:
            offers = getattr(model_or_fn, "_offers", lambda: "it has no log_prob method")()
            raise DensityNotAvailable(f"{type(model_or_fn).__name__} has no log p(x) to evaluate: {offers}; pass a "
                                      "model with log_prob(x) -> (N,) or a function x -> log p(x)")
        self.module = model_or_fn if isinstance(model_or_fn, nn.Module) else None
        self.device = None
        if self.module is not None:
            tensors = list(self.module.parameters()) or list(self.module.buffers())
            self.device = tensors[0].device if tensors else None

    def __enter__(self):
        self._contexts = [torch.no_grad()] + ([eval_mode(self.module)] if self.module is not None else [])
        for context in self._contexts:
            context.__enter__()
        return self

    def __exit__(self, *exc_info):
        for context in reversed(self._contexts):
            context.__exit__(*exc_info)
        return False

    def __call__(self, x):
        if self.device is not None:
            x = x.to(self.device)
        log_p = self.function(x)
        if not isinstance(log_p, torch.Tensor) or log_p.shape != (x.shape[0],):
            shape = tuple(log_p.shape) if isinstance(log_p, torch.Tensor) else type(log_p).__name__
            raise ValueError(f"log_prob must return a tensor of shape ({x.shape[0]},) for {x.shape[0]} inputs, "
                             f"got {shape}")
        return log_p


def nll(log_prob):
    """Mean negative log-likelihood -1/N sum_i log p(x_i) in nats per example.

    Args:
        log_prob: log p(x_i) of N examples, shape (N,).
    """
    if not isinstance(log_prob, torch.Tensor):
        raise TypeError(f"log_prob must be a torch.Tensor of shape (N,), got {type(log_prob).__name__}")
    if not log_prob.is_floating_point():
        raise TypeError(f"log_prob must be a floating-point tensor, got dtype {log_prob.dtype}")
    if log_prob.dim() != 1 or log_prob.numel() == 0:
        raise ValueError(f"log_prob must have shape (N,) with N >= 1, got {tuple(log_prob.shape)}")
    return float(-log_prob.detach().double().mean())


def bits_per_dim(nll_nats, num_dims):
    """Convert an NLL in nats per example to bits per dimension: nll / (num_dims * ln 2)."""
    nll_nats = check_real(nll_nats, "nll_nats")
    check_positive_int(num_dims, "num_dims")
    return nll_nats / (num_dims * math.log(2.0))


def evaluate_nll(model_or_fn, x, batch_size=1024, *, num_samples=None, generator=None):
    """Mean NLL in nats per example of a model on data ``x`` (N, ...), in batches and without gradients.

    Args:
        model_or_fn: a model (exact: ``log_prob``; bounded: ``log_prob_bound``) or a function x -> log p(x).
        x: the data, a tensor whose first axis indexes examples.
        batch_size: number of examples per call.
        num_samples, generator: for a bounded model, the samples K of its bound (default the model's
            ``default_bound_samples``) and their generator.

    Returns:
        :class:`dgm_utils.base.NLL`, a float with ``kind`` (``"exact"`` or ``"upper bound"``) and ``estimator``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 1 or x.shape[0] == 0:
        raise ValueError(f"x must hold at least one example along its first axis, got shape {tuple(x.shape)}")
    check_positive_int(batch_size, "batch_size")
    with LogProbEvaluator(model_or_fn, num_samples=num_samples, generator=generator) as log_prob_fn:
        value = -_mean_log_prob(log_prob_fn, x, batch_size)
    return NLL(value, kind=log_prob_fn.kind, estimator=log_prob_fn.estimator)


def _mean_log_prob(log_prob_fn, x, batch_size):
    total = 0.0
    for start in range(0, x.shape[0], batch_size):
        total += float(log_prob_fn(x[start:start + batch_size]).double().sum())
    return total / x.shape[0]


def kl_gap(model_or_fn, toy, num_samples=50_000, seed=0):
    """NLL of a model on fresh samples of a toy minus the toy's entropy: an estimate of KL(p || model).

        NLL(q) - H(p) = E_p[-log q(x)] + E_p[log p(x)] = KL(p || q) >= 0.

    The model needs an exact density. The NLL is estimated on ``num_samples`` samples drawn with a generator
    seeded by ``seed``; its Monte Carlo error is std(log q) / sqrt(num_samples) (plus that of ``toy.entropy()``
    when the toy's entropy has no closed form), so small negative values are possible for a near-perfect model.
    """
    if not isinstance(toy, ToyDistribution):
        raise TypeError(f"toy must be a dgm_utils.data.ToyDistribution, got {type(toy).__name__}")
    check_positive_int(num_samples, "num_samples")
    check_int(seed, "seed")
    x = toy.sample(num_samples, generator=torch.Generator().manual_seed(seed))  # (n, 2)
    with LogProbEvaluator(model_or_fn, exact=True) as log_prob_fn:
        return -_mean_log_prob(log_prob_fn, x, KL_GAP_BATCH_SIZE) - toy.entropy()
