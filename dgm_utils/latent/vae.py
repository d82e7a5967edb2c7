"""The variational autoencoder (Kingma & Welling 2014; Rezende et al. 2014), its importance-weighted bound (Burda et
al. 2016), and the VAE of the course's digits benchmark (chapter 3, hw3)."""

import math

import torch
from torch import nn

from dgm_utils._validation import check_generator, check_positive_int, check_tensor
from dgm_utils.base import BoundedLikelihoodModel
from dgm_utils.distributions import standard_normal
from dgm_utils.latent.decoders import BernoulliDecoder, CategoricalDecoder, GaussianDecoder, GaussianEncoder
from dgm_utils.latent.gaussian import gaussian_kl, gaussian_log_prob, reparameterize
from dgm_utils.nn import eval_mode, mlp

__all__ = ["VAE", "vae_for_digits", "DEFAULT_IWAE_SAMPLES", "IWAE_CHUNK_ELEMENTS", "LEVEL_RANK"]

#: ``VAE.log_prob_bound`` (and ``dgm_utils.metrics.evaluate_nll``) use the IWAE bound with this many samples.
DEFAULT_IWAE_SAMPLES = 100
#: ``VAE.iwae_bound`` evaluates the decoder on chunks of at most this many (sample, example, pixel) triples.
IWAE_CHUNK_ELEMENTS = 2**20


class VAE(BoundedLikelihoodModel):
    """Variational autoencoder: prior p(z) = N(0, I_L), decoder p(x|z), encoder q(z|x) = N(m(x), diag(e^v(x))).

    Trained on the ELBO (Kingma & Welling 2014), evaluated with the IWAE bound (Burda et al. 2016):

        ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z))                    (elbo, elbo_terms)
        L_K(x)  = log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),  z_k ~ q    (iwae_bound; log_prob)

    ``loss(x) = -mean(E_q[log p(x|z)] - beta_t KL)``: in training mode the KL term is weighted by
    beta_t = beta * min(1, t / kl_warmup_steps), t counting the training steps (the calls of ``loss``
    with gradients enabled; a KL warm-up, Bowman et al. 2016, against posterior collapse); in eval mode
    (validation) the weight is 1, so the validation loss is exactly -ELBO.

    Args:
        encoder: a :class:`GaussianEncoder` (or any module x (N, D) -> (mean, log_var), each (N, L)).
        decoder: a :class:`BernoulliDecoder`, :class:`CategoricalDecoder` or :class:`GaussianDecoder`
            (or any module with ``log_prob(x, z)``, ``mean(z)``, ``sample(z, generator)``).
        latent_dim: L.
        beta: KL weight of the training loss (1: the ELBO; beta > 1: a beta-VAE).
        kl_warmup_steps: training steps over which the KL weight rises linearly from 0 to ``beta`` (0: none).
        num_features: D, checked against the data when given (None: the networks' own shape errors).
    """

    bound_name = "IWAE"
    default_bound_samples = DEFAULT_IWAE_SAMPLES

    def __init__(self, encoder, decoder, latent_dim, *, beta=1.0, kl_warmup_steps=0, num_features=None):
        super().__init__()
        for name, value in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(value, nn.Module):
                raise TypeError(f"{name} must be an nn.Module, got {type(value).__name__}")
        check_positive_int(latent_dim, "latent_dim")
        if isinstance(kl_warmup_steps, bool) or not isinstance(kl_warmup_steps, int) or kl_warmup_steps < 0:
            raise ValueError(f"kl_warmup_steps must be a non-negative int, got {kl_warmup_steps!r}")
        if num_features is not None:
            check_positive_int(num_features, "num_features")
        self.encoder, self.decoder, self.latent_dim, self.num_features = encoder, decoder, latent_dim, num_features
        self.beta = float(beta)
        self.kl_warmup_steps = kl_warmup_steps
        self.training_steps = 0

    def _parameter(self):
        return next(self.parameters())

    def _check_data(self, x):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor of shape (N, D), got {type(x).__name__}")
        if x.dim() != 2 or (self.num_features is not None and x.shape[1] != self.num_features):
            expected = "(N, D)" if self.num_features is None else f"(N, {self.num_features})"
            raise ValueError(f"x must have shape {expected}, got {tuple(x.shape)}")
        return x.to(self._parameter().device)

    def encode(self, x):
        """Parameters of q(z|x): x (N, D) -> (mean (N, L), log_var (N, L))."""
        x = self._check_data(x)
        mean, log_var = self.encoder(x.to(self._parameter().dtype))
        if mean.shape != (len(x), self.latent_dim) or log_var.shape != mean.shape:
            raise ValueError(f"the encoder must return mean and log_var of shape (N, L) = ({len(x)}, "
                             f"{self.latent_dim}), got {tuple(mean.shape)} and {tuple(log_var.shape)}")
        return mean, log_var

    def decode(self, z):
        """E[x|z] of the decoder (e.g. the expected intensity of every pixel), z (..., N, L) -> (..., N, D)."""
        check_tensor(z, "z")
        if z.shape[-1] != self.latent_dim:
            raise ValueError(f"z must have shape (..., N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder.mean(z)

    def elbo_terms(self, x, generator=None):
        """The two terms of the ELBO with one reparameterized sample z ~ q(z|x):
        reconstruction log p(x|z) (N,) and KL(q(z|x) || N(0, I)) in closed form (N,)."""
        x = self._check_data(x)
        mean, log_var = self.encode(x)  # (N, L) each
        z = reparameterize(mean, log_var, generator=generator)  # (N, L)
        return self.decoder.log_prob(x, z), gaussian_kl(mean, log_var)

    def elbo(self, x, generator=None):
        """ELBO(x) = log p(x|z) - KL(q(z|x) || p(z)), z ~ q(z|x) (one sample), x (N, D) -> (N,)."""
        reconstruction, kl = self.elbo_terms(x, generator)
        return reconstruction - kl

    def kl_weight(self):
        """The weight beta_t of the KL term in the training loss now (1 in eval mode)."""
        if not self.training:
            return 1.0
        if self.kl_warmup_steps == 0:
            return self.beta
        return self.beta * min(1.0, self.training_steps / self.kl_warmup_steps)

    def loss(self, x, *, context=None):
        """Training objective, nats per example: -mean_n [log p(x_n|z_n) - beta_t KL_n] (= -ELBO in eval mode)."""
        self.check_context(context)
        reconstruction, kl = self.elbo_terms(x)
        loss = -(reconstruction - self.kl_weight() * kl).mean()
        if self.training and torch.is_grad_enabled():
            self.training_steps += 1
        return loss

    def iwae_bound(self, x, num_samples=DEFAULT_IWAE_SAMPLES, generator=None):
        """Importance-weighted bound L_K(x) = logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log K.

        z_1..z_K ~ q(z|x) independently. L_1 = ELBO (in expectation), E[L_K] grows with K and tends to
        log p(x). The K samples are processed in chunks (at most ``IWAE_CHUNK_ELEMENTS`` sample x example
        x pixel entries), so K = 1000 on the 447 test digits fits in memory. Wrap calls in
        ``torch.no_grad()`` for evaluation.

        Args:
            x: data (N, D).
            num_samples: number of importance samples K.
            generator: optional ``torch.Generator`` for the samples.

        Returns:
            L_K(x), shape (N,).
        """
        x = self._check_data(x)
        check_positive_int(num_samples, "num_samples")
        k = num_samples
        check_generator(generator)
        mean, log_var = self.encode(x)  # (N, L) each
        chunk = max(1, IWAE_CHUNK_ELEMENTS // max(1, x.numel()))
        log_weights = []
        for start in range(0, k, chunk):
            z = reparameterize(mean, log_var, min(chunk, k - start), generator)  # (C, N, L)
            log_prior = gaussian_log_prob(z, torch.zeros_like(z), torch.zeros_like(z))  # (C, N)
            log_weights.append(self.decoder.log_prob(x, z) + log_prior - gaussian_log_prob(z, mean, log_var))
        return torch.logsumexp(torch.cat(log_weights), dim=0) - math.log(k)  # (N,)

    def _log_prob_bound(self, x, *, num_samples, generator, context):
        """The IWAE bound L_K(x) with K = ``num_samples`` (``log_prob_bound(x, num_samples=K)``): a stochastic
        lower bound on log p(x) (tight as K grows); a VAE has no exact log-likelihood, so ``log_prob`` raises."""
        return self.iwae_bound(x, num_samples, generator)

    # The three methods below are for looking at a model: they run without gradients and in eval mode
    # (no dropout), restoring the previous mode afterwards.

    @torch.no_grad()
    def _sample(self, n, *, generator, context):
        """Ancestral sampling z ~ N(0, I), x ~ p(x|z): n examples, (n, D)."""
        z = standard_normal((n, self.latent_dim), self._parameter(), generator)  # (n, L)
        with eval_mode(self):
            return self.decoder.sample(z, generator=generator)

    @torch.no_grad()
    def reconstruct(self, x):
        """E[x | z = mean of q(z|x)]: the decoder's mean at the encoder's mean, x (N, D) -> (N, D)."""
        with eval_mode(self):
            return self.decoder.mean(self.encode(x)[0])

    @torch.no_grad()
    def kl_per_dimension(self, x):
        """Average KL(q(z_l|x) || N(0, 1)) of every latent dimension over the data x (N, D), shape (L,).

        A dimension whose KL is ~0 carries no information about x: it has *collapsed* to the prior.
        """
        with eval_mode(self):
            mean, log_var = self.encode(x)
        return gaussian_kl(mean.unsqueeze(-1), log_var.unsqueeze(-1)).mean(0)  # (L,): the KL of each dimension




class _Affine(nn.Module):
    """x -> scale * x + shift (maps pixel levels to the scale an encoder works well with)."""

    def __init__(self, scale, shift):
        super().__init__()
        self.scale, self.shift = scale, shift

    def forward(self, x):
        return self.scale * x + self.shift

    def extra_repr(self):
        return f"scale={self.scale}, shift={self.shift}"


class _LevelProfileLogits(nn.Module):
    """Output layer for D pixels x K levels: logits_dk = sum_r u_dr(h) e_rk + b_dk, with u = A h + c.

    Each pixel's K logits mix R learned *level profiles* e_r (shared by all pixels) with weights that
    depend on the input, plus a per-pixel bias. With R << K it has far fewer weights than a full
    Linear(H, D K) and generalizes better from 1000 images, while still allowing any categorical
    distribution (the bias) over the levels. h (..., H) -> logits (..., D * K).
    """

    def __init__(self, in_features, num_pixels, num_levels, rank):
        super().__init__()
        self.num_pixels, self.rank = num_pixels, rank
        self.pixel_weights = nn.Linear(in_features, num_pixels * rank)  # A, c
        self.level_profiles = nn.Parameter(torch.randn(rank, num_levels) / math.sqrt(rank))  # (R, K)
        self.bias = nn.Parameter(torch.zeros(num_pixels, num_levels))  # (D, K)

    def forward(self, h):
        u = self.pixel_weights(h).unflatten(-1, (self.num_pixels, self.rank))  # (..., D, R)
        return (u @ self.level_profiles + self.bias).flatten(-2)  # (..., D * K)



DIGITS_NUM_FEATURES, DIGITS_NUM_LEVELS = 64, 17
#: Default number of level profiles of the categorical decoder of ``vae_for_digits``.
LEVEL_RANK = 2


def vae_for_digits(latent_dim=16, hidden_features=256, decoder="categorical", *, num_hidden_layers=2,
                   dropout=0.2, level_rank=LEVEL_RANK, beta=1.0, kl_warmup_steps=0):
    """A VAE with MLP encoder and decoder for the 8x8 digits (``dgm_utils.data.load_digits``).

    The encoder sees intensities rescaled to [-1, 1]. ``decoder`` picks p(x|z):
    ``"categorical"`` -- 17 levels per pixel (data: ``load_digits()``, the course's benchmark setting);
    ``"bernoulli"`` -- binary pixels (data: ``load_digits(binarize=True)``);
    ``"gaussian"`` -- levels 0..16 as real numbers, one learned variance (a density, not comparable
    with the discrete likelihoods).

    Args:
        latent_dim: L.
        hidden_features: width of the hidden layers of both networks.
        decoder: ``"categorical"``, ``"bernoulli"`` or ``"gaussian"``.
        num_hidden_layers: hidden layers of each network.
        dropout: dropout after every hidden layer (a regularizer for 1000 training images).
        level_rank: categorical decoder only: the 17 logits of each pixel are built from this many
            learned level profiles (``_LevelProfileLogits``; far fewer weights, better test likelihood);
            None for a plain Linear(H, 64 * 17) output layer.
        beta, kl_warmup_steps: see :class:`VAE`.
    """
    check_positive_int(latent_dim, "latent_dim")
    check_positive_int(hidden_features, "hidden_features")
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
    top_level = {"categorical": DIGITS_NUM_LEVELS - 1, "bernoulli": 1, "gaussian": DIGITS_NUM_LEVELS - 1}
    if decoder not in top_level:
        raise ValueError(f"decoder must be one of {', '.join(top_level)}, got {decoder!r}")
    encoder_net = nn.Sequential(_Affine(2.0 / top_level[decoder], -1.0),
                                mlp(DIGITS_NUM_FEATURES, hidden_features, 2 * latent_dim, num_hidden_layers,
                                    dropout=dropout))
    if decoder == "categorical":
        output_layer = None
        if level_rank is not None:
            check_positive_int(level_rank, "level_rank")
            output_layer = _LevelProfileLogits(hidden_features, DIGITS_NUM_FEATURES, DIGITS_NUM_LEVELS, level_rank)
        decoder_net = mlp(latent_dim, hidden_features, DIGITS_NUM_FEATURES * DIGITS_NUM_LEVELS, num_hidden_layers,
                          dropout=dropout, output_layer=output_layer)
        decoder_module = CategoricalDecoder(decoder_net, DIGITS_NUM_LEVELS)
    elif decoder == "bernoulli":
        decoder_module = BernoulliDecoder(mlp(latent_dim, hidden_features, DIGITS_NUM_FEATURES, num_hidden_layers, dropout=dropout))
    else:
        decoder_module = GaussianDecoder(mlp(latent_dim, hidden_features, DIGITS_NUM_FEATURES, num_hidden_layers, dropout=dropout))
    return VAE(GaussianEncoder(encoder_net), decoder_module, latent_dim, beta=beta, kl_warmup_steps=kl_warmup_steps,
               num_features=DIGITS_NUM_FEATURES)
