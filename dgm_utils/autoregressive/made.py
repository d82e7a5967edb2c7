"""MADE (Germain et al. 2015): an autoregressive model in one masked MLP pass (chapter 1, hw1).

Every unit of the MLP carries a degree; the masks of :func:`dgm_utils.nn.made_masks` let output d see only the
inputs before d in the ordering, so all D conditionals p(x_d | x_<d) come out of one pass and

    log p(x) = sum_d log p(x_{o_d} | x_{o_1}, ..., x_{o_{d-1}})

is exact. Outputs are Bernoulli, categorical (``num_levels``) or a mixture of Gaussians per dimension; several
orderings can be trained at once and averaged as an ensemble.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_positive_int, check_sizes
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.distributions import as_levels, categorical_log_prob, sample_categorical
from dgm_utils.nn import MaskedLinear, made_masks

__all__ = ["MADE"]

#: Mixture outputs: log standard deviations are clamped to this range (sigma between 1e-3 and e^5).
LOG_STD_MIN, LOG_STD_MAX = -7.0, 5.0
#: Mixture outputs start as components spread evenly over [-MIXTURE_INIT_RANGE, MIXTURE_INIT_RANGE]
#: (data of order-one scale; standardize other data), each as wide as the spacing of the means.
MIXTURE_INIT_RANGE = 2.0
#: ... and the output weights are scaled down by this factor, so every conditional starts near that spread.
MIXTURE_INIT_WEIGHT_SCALE = 0.1


class MADE(ExactLikelihoodModel):
    """Masked autoencoder for distribution estimation: p(x) = prod_d p(x_d | x_{<d}) with one masked MLP.

    Args:
        num_features: number of dimensions D.
        hidden_sizes: widths of the hidden layers.
        output: conditional distribution of each dimension:
            ``"bernoulli"`` (x in {0, 1}, one logit per dimension),
            ``"categorical"`` (x in 0..K-1, K logits; the input is one-hot encoded),
            ``"gaussian_mixture"`` (real x; ``num_components`` weights, means and log-stds).
        num_levels: K for ``"categorical"``.
        num_components: mixture size for ``"gaussian_mixture"``.
        num_orderings: number R of orderings (each with its own masks). With R > 1 the density is the
            ensemble p(x) = (1/R) sum_r p_r(x); training (``loss`` in train mode) uses one random
            ordering per batch, an upper bound on the ensemble's NLL by Jensen's inequality.
        natural_ordering: use the order 1..D for the first ordering (the others are random).
        seed: seeds the orderings and hidden degrees (the masks are reproducible).
    """

    OUTPUTS = ("bernoulli", "categorical", "gaussian_mixture")

    def __init__(self, num_features, hidden_sizes=(128, 128), *, output="bernoulli", num_levels=2, num_components=5,
                 num_orderings=1, natural_ordering=True, seed=0):
        super().__init__()
        check_positive_int(num_features, "num_features")
        hidden_sizes = check_sizes(hidden_sizes, "hidden_sizes")
        if output not in self.OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(self.OUTPUTS)}, got {output!r}")
        check_positive_int(num_levels, "num_levels")
        check_positive_int(num_components, "num_components")
        check_positive_int(num_orderings, "num_orderings")
        self.num_features, self.output, self.num_orderings = num_features, output, num_orderings
        self.num_levels, self.num_components = num_levels, num_components
        # units per dimension at the input (one-hot for categorical) and parameters per dimension at the output
        self.input_width = num_levels if output == "categorical" else 1
        self.params_per_dim = {"bernoulli": 1, "categorical": num_levels,
                               "gaussian_mixture": 3 * num_components}[output]

        generator = torch.Generator().manual_seed(seed)
        orderings, mask_sets = [], []
        for r in range(num_orderings):
            order = torch.arange(num_features) if (r == 0 and natural_ordering) else torch.randperm(num_features, generator=generator)
            degrees = torch.empty(num_features, dtype=torch.long)
            degrees[order] = torch.arange(1, num_features + 1)  # degree of dimension d = 1 + its position in the order
            hidden_degrees, lowest = [], 1
            for size in hidden_sizes:  # m^l(k) uniform in [min m^{l-1}, D - 1] (paper, section 4)
                hidden_degrees.append(torch.randint(lowest, max(num_features, lowest + 1), (size,), generator=generator))
                lowest = int(hidden_degrees[-1].min())
            orderings.append(order)
            mask_sets.append(made_masks(degrees.repeat_interleave(self.input_width), hidden_degrees,
                                        degrees.repeat_interleave(self.params_per_dim)))
        self.register_buffer("orderings", torch.stack(orderings))  # (R, D), orderings[r, i] = i-th dimension

        widths = [num_features * self.input_width, *hidden_sizes, num_features * self.params_per_dim]
        layers = []
        for l in range(len(widths) - 1):
            layers.append(MaskedLinear(widths[l], widths[l + 1]))
            layers.append(nn.ReLU())
            self.register_buffer(f"mask_bank_{l}", torch.stack([masks[l] for masks in mask_sets]))  # (R, out, in)
        self.network = nn.Sequential(*layers[:-1])  # no activation after the output layer
        self._use_ordering(0)
        if output == "gaussian_mixture":
            self._spread_mixture_components()

    @torch.no_grad()
    def _spread_mixture_components(self):
        """Start every conditional as a broad mixture: with all components near 0, gradient descent is slow
        to pull them apart over the data (a uniform marginal is then fitted 10x worse in the same time)."""
        output_layer = self.network[-1]
        output_layer.weight.mul_(MIXTURE_INIT_WEIGHT_SCALE)
        bias = output_layer.bias.view(self.num_features, 3, self.num_components)  # logits, means, log_stds
        bias[:, 1] = torch.linspace(-MIXTURE_INIT_RANGE, MIXTURE_INIT_RANGE, self.num_components)
        bias[:, 2] = math.log(2.0 * MIXTURE_INIT_RANGE / self.num_components)

    def _use_ordering(self, r):
        """Load the masks of ordering r into the layers (always: a restored state_dict may hold any ordering's)."""
        for l, layer in enumerate(self.network[::2]):
            layer.set_mask(getattr(self, f"mask_bank_{l}")[r])

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, {self.num_features}), got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.num_features:
            raise ValueError(f"x must have shape (N, {self.num_features}), got {tuple(x.shape)}")
        x = x.to(self.orderings.device)
        if self.output == "gaussian_mixture":
            if not x.is_floating_point():
                raise TypeError(f"x must be a floating-point tensor for gaussian_mixture outputs, got {x.dtype}")
            return x
        return as_levels(x, 2 if self.output == "bernoulli" else self.num_levels)

    def encode(self, x):
        """The network input for data x (N, D): x itself, or one-hot codes (N, D * K) for categorical data."""
        if self.output == "categorical":
            return F.one_hot(x, self.num_levels).flatten(1).float()  # (N, D * K)
        return x.float()  # (N, D)

    def forward(self, inputs, ordering=0):
        """Parameters of every conditional p(x_d | x_{<d}) in ``ordering``, from network inputs
        ``encode(x)`` (N, D * E) -> (N, D, P). Output d depends only on inputs of dimensions before d."""
        self._use_ordering(ordering)
        return self.network(inputs).view(len(inputs), self.num_features, self.params_per_dim)

    def _split_mixture(self, params):
        logits, means, log_stds = params.split(self.num_components, dim=-1)  # each (..., C)
        return logits, means, log_stds.clamp(LOG_STD_MIN, LOG_STD_MAX)

    def _conditional_log_prob(self, params, x):
        """log p(x_d | x_{<d}) for every dimension, params (N, D, P) and x (N, D) -> (N, D)."""
        if self.output == "bernoulli":
            return -F.binary_cross_entropy_with_logits(params[..., 0], x.float(), reduction="none")
        if self.output == "categorical":
            return categorical_log_prob(params, x)
        logits, means, log_stds = self._split_mixture(params)
        mixture = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(logits=logits, validate_args=False),
            torch.distributions.Normal(means, log_stds.exp(), validate_args=False), validate_args=False)
        return mixture.log_prob(x)

    def log_prob(self, x, *, context=None, ordering=None):
        """Exact log p(x) in nats for x (N, D) -> (N,).

        One network pass per ordering: log p_r(x) = sum_d log p_r(x_d | x_{<d}). With ``ordering=None`` the
        ensemble log (1/R) sum_r p_r(x) (a mixture, hence normalized); with an int, that ordering alone.
        """
        self.check_context(context)
        x = self._check_data(x)
        orderings = range(self.num_orderings) if ordering is None else [ordering]
        inputs = self.encode(x)  # (N, D * E)
        log_probs = torch.stack([self._conditional_log_prob(self(inputs, r), x).sum(1) for r in orderings])  # (R, N)
        return torch.logsumexp(log_probs, dim=0) - math.log(len(orderings))

    def loss(self, x, *, context=None):
        """Negative log-likelihood in nats per example. In train mode with several orderings, one random
        ordering r per batch: E_r[-log p_r(x)] >= -log E_r[p_r(x)] (connectivity-agnostic training)."""
        if self.training and self.num_orderings > 1:
            return -self.log_prob(x, ordering=int(torch.randint(self.num_orderings, ()))).mean()
        return -self.log_prob(x).mean()

    def _sample_conditional(self, params, generator):
        """One draw from p(x_d | x_{<d}) for params (n, P) -> (n,)."""
        if self.output == "bernoulli":
            uniform = torch.rand(len(params), generator=generator).to(params.device)
            return (uniform < torch.sigmoid(params[:, 0])).float()
        if self.output == "categorical":
            return sample_categorical(params, generator).float()
        logits, means, log_stds = self._split_mixture(params)
        component = sample_categorical(logits, generator)[:, None]  # (n, 1)
        noise = torch.randn(len(params), generator=generator).to(params.device)
        return means.gather(1, component)[:, 0] + log_stds.gather(1, component)[:, 0].exp() * noise

    @torch.no_grad()
    def _sample(self, n, *, generator, context):
        """Draw n samples (n, D) float32, D network passes: x_{o_1}, then x_{o_2} given it, and so on.

        With several orderings each sample first picks its ordering uniformly (the ensemble is a mixture).
        """
        device = self.orderings.device
        x = torch.zeros(n, self.num_features, device=device)
        which = torch.randint(self.num_orderings, (n,), generator=generator).to(device)  # (n,)
        for r in range(self.num_orderings):
            rows = which == r
            if not bool(rows.any()):
                continue
            x_r = x[rows]  # (n_r, D)
            if self.output != "gaussian_mixture":
                x_r = x_r.long()
            for d in self.orderings[r].tolist():  # pass i fills dimension o_i; later outputs are ignored
                params = self(self.encode(x_r), r)[:, d]  # (n_r, P)
                x_r[:, d] = self._sample_conditional(params, generator).to(x_r.dtype)
            x[rows] = x_r.float()
        return x


