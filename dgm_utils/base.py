"""The interface every model of the course implements. Read this first.

A generative model is judged by what it can do with a data point x and how it draws new ones. The families
of the course differ in exactly that, so each model says which *likelihood* it has (:class:`Likelihood`):

==================  =================================================  ==========================================
likelihood          what the model exposes                             families
==================  =================================================  ==========================================
``EXACT``           ``log_prob(x) -> (N,)``: log p(x) in nats           autoregressive, flows, mixtures, PPCA
``BOUND``           ``log_prob_bound(x, num_samples=K) -> (N,)``:       VAE (IWAE), dequantized flows, diffusion
                    a stochastic lower bound on log p(x), named by
                    ``bound_name``; ``log_prob`` raises
``UNNORMALIZED``    ``energy(x) -> (N,)`` = -log p(x) - log Z, with     energy-based models
                    Z unknown; ``log_prob`` raises
``NONE``            samples only; ``log_prob`` raises                   GANs and other implicit models
==================  =================================================  ==========================================

and every model has

* ``sample(num_samples, *, generator=None, context=None) -> (num_samples, ...)``: new examples. ``generator``
  is a CPU ``torch.Generator`` (the same seed gives the same samples on any device); some models take more
  keyword-only options (``temperature``, ``length``).
* ``loss(x, *, context=None) -> scalar``: the training objective, written through the density or the bound
  where there is one (the negative log-likelihood, the negative ELBO, ...), so ``dgm_utils.train.fit`` can
  train any model.
* ``context``: the one way to condition (class labels, a prompt, a mask, a measurement). A model that is not
  conditional raises ``ValueError`` when given one.

A method a model cannot have is still there and raises a named exception (:class:`DensityNotAvailable`,
:class:`BoundNotAvailable`, :class:`EnergyNotAvailable`, :class:`SamplingNotAvailable`, all
:class:`MethodNotAvailable`), whose message says what the model offers instead. ``dgm_utils.metrics``
dispatches on ``likelihood``: ``evaluate_nll`` returns an :class:`NLL` that says whether it is exact or a bound,
so a table can never mix the two without saying so.

Subclass :class:`ExactLikelihoodModel`, :class:`BoundedLikelihoodModel`, :class:`EnergyModel` or
:class:`ImplicitModel` and implement ``_sample(num_samples, generator, context, **options)`` (``sample``
validates its arguments first) and the methods of your row. Objects that are not ``nn.Module`` (the toy
distributions of ``dgm_utils.data``) follow the same protocol with a ``likelihood`` attribute.
"""

import enum

from torch import nn

from dgm_utils._validation import check_count, check_generator, check_positive_int

__all__ = [
    "Likelihood",
    "MethodNotAvailable",
    "DensityNotAvailable",
    "BoundNotAvailable",
    "EnergyNotAvailable",
    "SamplingNotAvailable",
    "ModelInterface",
    "GenerativeModel",
    "ExactLikelihoodModel",
    "BoundedLikelihoodModel",
    "EnergyModel",
    "ImplicitModel",
    "NLL",
    "likelihood_of",
]


class Likelihood(enum.Enum):
    """What a model can say about log p(x) (see the module docstring)."""

    EXACT = "exact"
    BOUND = "bound"
    UNNORMALIZED = "unnormalized"
    NONE = "none"


class MethodNotAvailable(NotImplementedError):
    """A model was asked for something its family does not have (the message says what it has instead)."""


class DensityNotAvailable(MethodNotAvailable):
    """``log_prob`` of a model without an exact, normalized density."""


class BoundNotAvailable(MethodNotAvailable):
    """``log_prob_bound`` of a model that has no bound on log p(x) (an exact model: use ``log_prob``)."""


class EnergyNotAvailable(MethodNotAvailable):
    """``energy`` of a model that is not energy-based."""


class SamplingNotAvailable(MethodNotAvailable):
    """``sample`` of a model that cannot draw samples."""


class ModelInterface:
    """The full interface, each capability raising its named exception until a subclass has it. Not a module:
    :class:`GenerativeModel` adds ``nn.Module``; distributions that hold no parameters (the toys) use it directly."""

    likelihood = Likelihood.NONE
    #: True for models that take a ``context`` (labels, prompts, ...).
    is_conditional = False

    def sample(self, num_samples, *, generator=None, context=None, **options):
        """Draw ``num_samples`` examples; ``options`` are the model's own keyword-only sampling options."""
        check_count(num_samples)
        check_generator(generator)
        self.check_context(context)
        return self._sample(num_samples, generator=generator, context=context, **options)

    def _sample(self, num_samples, *, generator, context, **options):
        raise SamplingNotAvailable(f"{type(self).__name__} cannot draw samples")

    def loss(self, x, *, context=None):
        """The training objective (a scalar tensor)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its training loss")

    def log_prob(self, x, *, context=None):
        """Exact log p(x), shape (N,)."""
        raise DensityNotAvailable(f"{type(self).__name__} has no exact log p(x): {self._offers()}")

    def log_prob_bound(self, x, *, num_samples=None, generator=None, context=None, **options):
        """A stochastic lower bound on log p(x), shape (N,)."""
        raise BoundNotAvailable(f"{type(self).__name__} has no bound on log p(x): {self._offers()}")

    def energy(self, x, *, context=None):
        """E(x) = -log p(x) - log Z for an unknown constant Z, shape (N,)."""
        raise EnergyNotAvailable(f"{type(self).__name__} is not an energy-based model: {self._offers()}")

    def check_context(self, context):
        """Refuse a ``context`` given to a model that is not conditional."""
        if context is not None and not self.is_conditional:
            raise ValueError(f"{type(self).__name__} is not a conditional model: context must be None, "
                             f"got {type(context).__name__}")

    def _offers(self):
        if self.likelihood is Likelihood.EXACT:
            return "it has an exact log_prob(x)"
        if self.likelihood is Likelihood.BOUND:
            return f"it has a lower bound, log_prob_bound(x, num_samples=K) ({self.bound_name})"
        if self.likelihood is Likelihood.UNNORMALIZED:
            return "it has an unnormalized energy(x); normalize it (in 2-D, by quadrature) for a density"
        return "it can only sample; compare it with data through sample metrics (dgm_utils.metrics.mmd2)"


class GenerativeModel(ModelInterface, nn.Module):
    """Base of every reference model (an ``nn.Module``): the interface of :class:`ModelInterface`."""


class ExactLikelihoodModel(GenerativeModel):
    """A model with an exact, normalized ``log_prob``; its loss is the negative log-likelihood."""

    likelihood = Likelihood.EXACT

    def loss(self, x, *, context=None):
        """Negative log-likelihood in nats per example, -1/N sum_i log p(x_i)."""
        return -self.log_prob(x, context=context).mean()


class BoundedLikelihoodModel(GenerativeModel):
    """A model with a lower bound on log p(x) only (latent variables, dequantization, diffusion).

    Subclasses set ``bound_name`` (the estimator, e.g. ``"IWAE"``) and ``default_bound_samples`` (K when
    ``num_samples`` is None) and implement ``_log_prob_bound(x, num_samples, generator, context)``.
    """

    likelihood = Likelihood.BOUND
    bound_name = "lower bound"
    default_bound_samples = 1

    def log_prob_bound(self, x, *, num_samples=None, generator=None, context=None, **options):
        """The ``bound_name`` lower bound on log p(x) with ``num_samples`` samples (default
        ``default_bound_samples``), shape (N,); -bound is an upper bound on the NLL. ``options`` are the
        model's own keyword-only options (e.g. ``importance_weighted``)."""
        num_samples = self.default_bound_samples if num_samples is None else num_samples
        check_positive_int(num_samples, "num_samples")
        check_generator(generator)
        self.check_context(context)
        return self._log_prob_bound(x, num_samples=num_samples, generator=generator, context=context, **options)

    def _log_prob_bound(self, x, *, num_samples, generator, context, **options):
        raise NotImplementedError


class EnergyModel(GenerativeModel):
    """An unnormalized model p(x) = exp(-E(x)) / Z; subclasses implement ``energy``."""

    likelihood = Likelihood.UNNORMALIZED


class ImplicitModel(GenerativeModel):
    """A model that can only sample (a generator network); ``log_prob`` and ``energy`` raise."""

    likelihood = Likelihood.NONE


def likelihood_of(model):
    """The :class:`Likelihood` of a model, a toy distribution, or a plain function x -> log p(x) (taken as exact)."""
    declared = getattr(model, "likelihood", None)
    if isinstance(declared, Likelihood):
        return declared
    if callable(getattr(model, "log_prob", None)) or (callable(model) and not isinstance(model, nn.Module)):
        return Likelihood.EXACT
    return Likelihood.NONE


class NLL(float):
    """A negative log-likelihood in nats per example that says what it is: a ``float`` with

    * ``kind``: ``"exact"`` or ``"upper bound"`` (the negative of a lower bound on log p(x));
    * ``estimator``: ``"exact"`` or the bound's name and sample count, e.g. ``"IWAE, K=100"``.

    ``str()`` shows both, e.g. ``"<= 88.14 nats (IWAE, K=1000)"``; arithmetic gives plain floats.
    """

    def __new__(cls, value, kind="exact", estimator="exact"):
        if kind not in ("exact", "upper bound"):
            raise ValueError(f"kind must be 'exact' or 'upper bound', got {kind!r}")
        nll = super().__new__(cls, value)
        nll.kind, nll.estimator = kind, estimator
        return nll

    @property
    def is_exact(self):
        return self.kind == "exact"

    def __repr__(self):
        return f"NLL({float(self)!r}, kind={self.kind!r}, estimator={self.estimator!r})"

    def __str__(self):
        if self.is_exact:
            return f"{float(self):.4f} nats"
        return f"<= {float(self):.4f} nats ({self.estimator})"

