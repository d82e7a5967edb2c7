"""Imitation learning as conditional density estimation, p(a | o): behaviour cloning with two kinds of policy.

Given demonstrations (o_i, a_i) of an expert, behaviour cloning fits a policy pi(a | o) and runs it in closed loop.

* :class:`RegressionPolicy` minimizes the squared error, 1/N sum_i ||f(o_i) - a_i||^2, whose minimizer is the
  conditional mean f(o) = E[a | o]. Where the expert is multimodal (left or right of an obstacle) the mean of the
  two modes is an action no demonstration took: straight ahead.
* :class:`MixturePolicy` is a mixture density network (Bishop 1994): a network maps o to the parameters of a
  K-component diagonal Gaussian mixture,

      pi(a | o) = sum_k w_k(o) N(a; mu_k(o), diag sigma_k(o)^2),    w(o) = softmax(logits(o)),

  trained by maximum likelihood (its ``loss`` is -1/N sum_i log pi(a_i | o_i), exact). Sampling an action picks a
  component, so each episode commits to one mode.
* :class:`DiffusionPolicy` is a DDPM over actions (``dgm_utils.diffusion.GaussianDiffusion``, Algorithm 1 of Ho et
  al. 2020 for training, ancestral sampling) whose noise-prediction network eps_theta(a_t, t, o) takes the
  observation as a continuous context (as in Chi et al. 2023, "Diffusion Policy"); it has a bound, not an exact
  likelihood.

Both take the observation as ``context``, so ``dgm_utils.train.LossStep(policy, context=True)`` trains them on
batches ``(actions, observations)``; :func:`train_policy` does that for a fixed number of steps. ``policy.act(obs)``
is the function obs (B, obs_dim) -> action (B, action_dim) that ``ObstacleCourse.rollout`` runs.
"""

import torch
from torch import nn

from dgm_utils._validation import check_number, check_points, check_positive_int, check_seed
from dgm_utils.base import ExactLikelihoodModel
from dgm_utils.diffusion import GaussianDiffusion, TimeLabelEmbedding, make_schedule
from dgm_utils.distributions import diagonal_gaussian_log_prob
from dgm_utils.nn import mlp
from dgm_utils.train import LossStep, fit

__all__ = ["RegressionPolicy", "MixturePolicy", "DiffusionPolicy", "ObservationDenoiser", "train_policy"]

#: A mixture component's log standard deviation is kept in [LOG_STD_MIN, LOG_STD_MAX] (by tanh), so the likelihood
#: of a component that collapses onto a few demonstrations stays bounded.
LOG_STD_MIN, LOG_STD_MAX = -6.0, 1.0


def _check_observations(context, num_rows, obs_dim, usage):
    """The observations a policy is conditioned on: a floating tensor (num_rows, obs_dim), one row per action.

    The one check of the context of every policy (loss, log_prob, sample); ``usage`` is the call to show when the
    context is missing. Returns the context unchanged.
    """
    if context is None:
        raise ValueError(f"a policy needs the observations as context, (N, {obs_dim}): {usage}")
    check_points(context, "context (observations)", dim=obs_dim)
    if len(context) != num_rows:
        raise ValueError(f"one observation per action: expected {num_rows} rows of context (observations), got "
                         f"{len(context)}")
    return context


def _check_pair(actions, context, action_dim, obs_dim):
    """actions (N, action_dim) and observations (N, obs_dim) of the same N."""
    check_points(actions, "actions", dim=action_dim)
    _check_observations(context, len(actions), obs_dim, "loss(actions, context=observations)")


class RegressionPolicy(nn.Module):
    """a = f(o), an MLP with ``layers`` hidden ReLU layers of width ``hidden``, fitted by mean squared error.

    Deterministic: ``act(obs)`` returns f(obs) (B, action_dim). Not a generative model (it has no density).
    """

    def __init__(self, obs_dim=2, action_dim=2, *, hidden=128, layers=3):
        super().__init__()
        self.obs_dim = check_positive_int(obs_dim, "obs_dim")
        self.action_dim = check_positive_int(action_dim, "action_dim")
        self.net = mlp(obs_dim, check_positive_int(hidden, "hidden"), action_dim, check_positive_int(layers, "layers"))

    def forward(self, obs):
        check_points(obs, "obs", dim=self.obs_dim)
        return self.net(obs)  # (B, action_dim)

    def loss(self, actions, *, context=None):
        """1/N sum_i ||f(o_i) - a_i||^2 / action_dim, with o = context (N, obs_dim) and actions (N, action_dim)."""
        _check_pair(actions, context, self.action_dim, self.obs_dim)
        return ((self.net(context) - actions) ** 2).mean()

    @torch.no_grad()
    def act(self, obs):
        """The action f(obs) (B, action_dim)."""
        return self(obs)


class MixturePolicy(ExactLikelihoodModel):
    """pi(a | o), a K-component diagonal Gaussian mixture whose parameters an MLP computes from o (module docstring).

    An :class:`dgm_utils.base.ExactLikelihoodModel` with ``is_conditional = True``: ``log_prob(actions,
    context=obs) -> (N,)``, ``sample(n, context=obs) -> (n, action_dim)`` with obs (n, obs_dim), ``loss`` the NLL.
    """

    is_conditional = True

    def __init__(self, obs_dim=2, action_dim=2, *, num_components=5, hidden=128, layers=3):
        super().__init__()
        self.obs_dim = check_positive_int(obs_dim, "obs_dim")
        self.action_dim = check_positive_int(action_dim, "action_dim")
        self.num_components = check_positive_int(num_components, "num_components")
        out = num_components * (1 + 2 * action_dim)
        self.net = mlp(obs_dim, check_positive_int(hidden, "hidden"), out, check_positive_int(layers, "layers"))

    def mixture_parameters(self, obs):
        """logits (B, K), means (B, K, D) and log_stds (B, K, D) of pi(. | obs) for obs (B, obs_dim)."""
        check_points(obs, "context (observations)", dim=self.obs_dim)
        k, d = self.num_components, self.action_dim
        out = self.net(obs)  # (B, K (1 + 2 D))
        logits = out[:, :k]  # (B, K)
        means = out[:, k:k + k * d].reshape(-1, k, d)  # (B, K, D)
        raw = out[:, k + k * d:].reshape(-1, k, d)
        log_stds = LOG_STD_MIN + (LOG_STD_MAX - LOG_STD_MIN) * 0.5 * (torch.tanh(raw) + 1.0)  # (B, K, D)
        return logits, means, log_stds

    def log_prob(self, x, *, context=None):
        """log pi(a | o) = logsumexp_k [log w_k(o) + log N(a; mu_k(o), diag sigma_k(o)^2)] for actions x (N, D)
        and observations context (N, obs_dim) -> (N,)."""
        _check_pair(x, context, self.action_dim, self.obs_dim)
        logits, means, log_stds = self.mixture_parameters(context)
        joint = diagonal_gaussian_log_prob(x[:, None, :], means, 2.0 * log_stds)  # (N, K)
        return torch.logsumexp(joint + torch.log_softmax(logits, dim=1), dim=1)  # (N,)

    def _sample(self, num_samples, *, generator, context, temperature=1.0):
        """k ~ Categorical(w(o)), a = mu_k(o) + temperature * sigma_k(o) * eps for each row o of the context."""
        _check_observations(context, num_samples, self.obs_dim, "sample(n, context=obs (n, obs_dim))")
        check_number(temperature, "temperature", allow_zero=True)
        if num_samples == 0:
            return context.new_zeros(0, self.action_dim)
        logits, means, log_stds = self.mixture_parameters(context)
        probs = torch.softmax(logits.detach().float(), dim=1).cpu()
        component = torch.multinomial(probs, 1, generator=generator).squeeze(1).to(context.device)  # (n,)
        rows = torch.arange(num_samples, device=context.device)
        eps = torch.randn(num_samples, self.action_dim, generator=generator, dtype=means.dtype).to(means.device)
        return means[rows, component] + temperature * torch.exp(log_stds[rows, component]) * eps  # (n, D)

    @torch.no_grad()
    def act(self, obs, *, generator=None):
        """One action per observation, a ~ pi(. | obs): (B, action_dim)."""
        return self.sample(len(obs), generator=generator, context=obs)

    def extra_repr(self):
        return f"obs_dim={self.obs_dim}, action_dim={self.action_dim}, num_components={self.num_components}"


class ObservationDenoiser(nn.Module):
    """eps_theta(a_t, s, o) = MLP([a_t, h(s), o]) for actions a_t (N, action_dim), times s (N,) in [0, 1] and
    observations o (N, obs_dim) (passed where a class-conditional denoiser takes its labels); h is the sinusoidal time
    embedding of ``dgm_utils.diffusion.TimeLabelEmbedding``."""

    def __init__(self, obs_dim=2, action_dim=2, *, hidden=128, layers=3, time_dim=32):
        super().__init__()
        self.obs_dim = check_positive_int(obs_dim, "obs_dim")
        self.action_dim = check_positive_int(action_dim, "action_dim")
        self.embedding = TimeLabelEmbedding(time_dim)
        self.net = mlp(action_dim + time_dim + obs_dim, check_positive_int(hidden, "hidden"), action_dim,
                       check_positive_int(layers, "layers"), nn.SiLU)

    def forward(self, x, time, labels=None):
        check_points(x, "x", dim=self.action_dim)
        if labels is None:
            raise ValueError("ObservationDenoiser needs the observations (N, obs_dim) in place of labels")
        check_points(labels, "observations", dim=self.obs_dim)
        return self.net(torch.cat([x, self.embedding(time), labels], dim=1))  # (N, action_dim)


class DiffusionPolicy(GaussianDiffusion):
    """pi(a | o) as a DDPM over a / ``action_scale`` with ``num_steps`` steps of a cosine schedule and an
    :class:`ObservationDenoiser`; the context is the observations (N, obs_dim), required everywhere (no guidance).
    ``loss(actions, context=obs)`` is L_simple; ``sample(n, context=obs)`` draws one action per observation."""

    def __init__(self, obs_dim=2, action_dim=2, *, num_steps=100, hidden=128, layers=3, time_dim=32,
                 action_scale=0.5):
        denoiser = ObservationDenoiser(obs_dim, action_dim, hidden=hidden, layers=layers, time_dim=time_dim)
        super().__init__(denoiser, make_schedule("cosine", check_positive_int(num_steps, "num_steps")), (action_dim,))
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.action_scale = check_number(action_scale, "action_scale")
        self.is_conditional = True

    def to_model_space(self, x, name="x"):
        return super().to_model_space(x, name) / self.action_scale

    def to_data_space(self, x):
        return x * self.action_scale

    def context_labels(self, context, n, *, allow_null=False):
        """The observations (n, obs_dim) a context must be, on the model's device."""
        _check_observations(context, n, self.obs_dim, "sample(n, context=obs (n, obs_dim))")
        like = self._like()
        return context.to(like.device, like.dtype)

    def noise_prediction(self, x, time, labels=None, guidance_scale=0.0):
        if guidance_scale:
            raise ValueError("DiffusionPolicy has no unconditional branch: guidance_scale must be 0")
        return super().noise_prediction(x, time, labels)

    @torch.no_grad()
    def act(self, obs, *, generator=None):
        """One action per observation, a ~ pi(. | obs) by ancestral sampling: (B, action_dim)."""
        return self.sample(len(obs), generator=generator, context=obs)


def train_policy(policy, behaviour, *, num_steps=2000, lr=3e-3, batch_size=256, seed=0, progress=False):
    """Fit ``policy`` to the demonstrations ``behaviour`` (a :class:`dgm_utils.data.BehaviourData`, or a pair
    (observations, actions)) with ``fit`` and ``LossStep(policy, context=True)`` for exactly ``num_steps`` steps,
    the learning rate decaying to 0 by a cosine schedule. Returns the ``History``."""
    if isinstance(behaviour, tuple) and len(behaviour) == 2:
        observations, actions = behaviour
    elif hasattr(behaviour, "observations") and hasattr(behaviour, "actions"):
        observations, actions = behaviour.observations, behaviour.actions
    else:
        raise TypeError(f"behaviour must be a BehaviourData or a pair (observations, actions), got "
                        f"{type(behaviour).__name__}")
    _check_pair(actions, observations, policy.action_dim, policy.obs_dim)
    check_positive_int(num_steps, "num_steps")
    check_seed(seed)
    step = LossStep(policy, context=True, lr=check_number(lr, "lr"), lr_schedule="cosine", schedule_steps=num_steps)
    return fit(policy, (actions, observations), step=step, num_steps=num_steps, batch_size=batch_size, seed=seed,
               progress=progress)
