"""The Gaussian diffusion process of DDPM (Ho et al. 2020) around any noise-prediction network, and DDIM (Song et al.
2021a) on the same network.

With the schedule of ``schedules.py`` (steps t = 1..T, alpha_bar_t) and a denoiser eps_theta(x_t, s, y) (s = t / T,
labels y optional):

* forward marginal (``q_sample``): x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, eps ~ N(0, I);
* training (``loss``, Algorithm 1): t ~ U{1..T}, minimize mean |eps - eps_theta(x_t, t / T)|^2 (the mean over the
  examples and the data dimensions: L_simple);
* one ancestral step (``p_sample``, Algorithm 2): x_{t-1} = 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t)
  eps_theta) + sigma_t z, z ~ N(0, I), sigma_t^2 = beta~_t (the posterior variance), and z = 0 at t = 1;
* DDIM (``ddim_step``, ``ddim_sample``) on a sub-sequence of steps t > t': with x^_0 = (x_t - sqrt(1 - alpha_bar_t)
  eps_theta) / sqrt(alpha_bar_t),

      x_{t'} = sqrt(alpha_bar_t') x^_0 + sqrt(1 - alpha_bar_t' - sigma^2) eps_theta + sigma z,
      sigma = eta sqrt((1 - alpha_bar_t') / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_t'),

  deterministic for eta = 0 (a discretization of the probability-flow ODE), the ancestral step for eta = 1 on all T;
* the variational bound (``log_prob_bound``, in nats per example; ``bound.py`` has its terms).

**Data.** Continuous data (``num_levels=None``, e.g. the 2-D toys) is used as it is. Data of K levels
(``num_levels=17`` for the digits) is given and returned as levels 0..K-1 and diffused on the grid [-1, 1]
(``bound.levels_to_signed``); its decoder p(x_0 | x_1) is the discretized Gaussian of ``bound.py`` with 17-level bins,
so the bound is a bound on the probability of the levels. Examples have shape ``data_shape`` ((2,) for the toys,
(64,) for the flattened digits).

**Conditioning.** With ``num_classes=C`` the context is class labels (N,) in 0..C-1; context None means the null
label C (the unconditional model). ``label_dropout`` p drops labels to the null one in training (``guidance.py``);
the samplers take ``guidance_scale=w`` for classifier-free guidance (w = 0: the conditional model).
"""

import torch
from torch import nn

from dgm_utils._validation import check_count, check_generator, check_int, check_number, check_sizes, check_tensor
from dgm_utils.base import BoundedLikelihoodModel
from dgm_utils.diffusion.bound import (discretized_gaussian_log_likelihood, gaussian_kl, levels_to_signed,
                                       signed_to_levels)
from dgm_utils.diffusion.guidance import check_labels, classifier_free_guidance, drop_labels, null_labels
from dgm_utils.diffusion.ode import check_finite_state
from dgm_utils.diffusion.schedules import NoiseSchedule
from dgm_utils.distributions import LOG_TWO_PI, standard_normal

__all__ = ["GaussianDiffusion", "ddim_steps", "SAMPLER_ADVICE"]

#: What a sampler that reaches NaN or infinite values says is the likely cause.
SAMPLER_ADVICE = ("the denoiser returns NaN or infinite values or very large ones (is it trained? was the loss "
                  "finite?); with few DDIM steps or a large guidance scale, try more steps, a smaller scale or clip_x0=True")


def ddim_steps(num_steps, total_steps):
    """The DDIM sub-sequence: ``num_steps`` + 1 evenly spaced steps from T = ``total_steps`` down to 0, int64."""
    check_int(num_steps, "num_steps", minimum=1)
    if num_steps > total_steps:
        raise ValueError(f"num_steps must be at most the process's T = {total_steps}, got {num_steps}")
    return torch.linspace(total_steps, 0, num_steps + 1, dtype=torch.float64).round().long()


class GaussianDiffusion(BoundedLikelihoodModel):
    """DDPM around a noise-prediction network ``denoiser(x, s, labels) -> eps`` (see the module docstring).

    Args:
        denoiser: an ``nn.Module`` called as ``denoiser(x (N, *data_shape), s (N,) float times in [0, 1], labels)``
            with labels None (unconditional) or int64 (N,) in 0..C (C the null label), returning eps (N, *data_shape).
        schedule: a :class:`dgm_utils.diffusion.NoiseSchedule`.
        data_shape: the shape of one example, e.g. (2,) or (64,).
        num_levels: K for data of levels 0..K-1 (the digits: 17), None for continuous data.
        num_classes: C for a class-conditional model (context = labels), None for an unconditional one.
        label_dropout: the probability of training on the null label instead of the given one (classifier-free
            guidance; 0: never).
    """

    bound_name = "variational bound"
    default_bound_samples = 1

    def __init__(self, denoiser, schedule, data_shape, *, num_levels=None, num_classes=None, label_dropout=0.0):
        super().__init__()
        if not isinstance(denoiser, nn.Module):
            raise TypeError(f"denoiser must be an nn.Module, got {type(denoiser).__name__}")
        if not isinstance(schedule, NoiseSchedule):
            raise TypeError(f"schedule must be a NoiseSchedule (make_schedule), got {type(schedule).__name__}")
        self.denoiser, self.schedule = denoiser, schedule
        self.data_shape = check_sizes(data_shape, "data_shape")
        self.num_levels = check_int(num_levels, "num_levels", minimum=2, allow_none=True)
        self.num_classes = check_int(num_classes, "num_classes", minimum=1, allow_none=True)
        self.is_conditional = num_classes is not None
        self.label_dropout = check_number(label_dropout, "label_dropout", allow_zero=True)
        if self.label_dropout > 1 or (self.label_dropout and not self.is_conditional):
            raise ValueError(f"label_dropout must be in [0, 1] and needs num_classes, got {label_dropout!r}")
        self.register_buffer("_anchor", torch.zeros(()), persistent=False)  # device and dtype without parameters

    @property
    def num_steps(self):
        """T, the number of steps of the process."""
        return self.schedule.num_steps

    def _like(self):
        parameter = next(self.denoiser.parameters(), None)
        return parameter if parameter is not None else self._anchor

    # --- data, steps and labels ---------------------------------------------------------------------------------

    def to_model_space(self, x, name="x"):
        """Data (N, *data_shape) -> the values that are diffused: levels mapped to [-1, 1], or x itself."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor of shape (N, {', '.join(map(str, self.data_shape))}), got "
                            f"{type(x).__name__}")
        if tuple(x.shape[1:]) != self.data_shape or x.dim() != len(self.data_shape) + 1:
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, self.data_shape))}), got "
                             f"{tuple(x.shape)}")
        like = self._like()
        if self.num_levels is not None:
            return levels_to_signed(x, self.num_levels, name).to(like.device, like.dtype)
        check_tensor(x, name)
        return x.to(like.device, like.dtype)

    def to_data_space(self, x):
        """The inverse of :meth:`to_model_space` for samples: the level of each value's bin, or x itself."""
        return x if self.num_levels is None else signed_to_levels(x, self.num_levels)

    def _steps(self, t, n, minimum=1):
        if isinstance(t, int) and not isinstance(t, bool):
            t = torch.full((n,), t, dtype=torch.long)
        t = self.schedule.check_steps(t, "t", minimum=minimum)
        if t.shape != (n,):
            raise ValueError(f"t must be an int or a tensor of shape ({n},), got {tuple(t.shape)}")
        return t

    def context_labels(self, context, n, *, allow_null=False):
        """The labels a context means: None for an unconditional model, the null label C for context None, else the
        validated labels (N,) (0..C-1, or 0..C with ``allow_null``) on the model's device."""
        self.check_context(context)
        if not self.is_conditional:
            return None
        if context is None:
            return null_labels(n, self.num_classes, self._like().device)
        return check_labels(context, self.num_classes, n, allow_null=allow_null).to(self._like().device)

    # --- the network ----------------------------------------------------------------------------------------------

    def noise_prediction(self, x, time, labels=None, guidance_scale=0.0):
        """eps_theta(x, s, y) at continuous times s (N,) (a float in [0, 1] is broadcast), with classifier-free
        guidance (1 + w) eps(y) - w eps(null) when w = ``guidance_scale`` > 0 and labels are given."""
        if not isinstance(time, torch.Tensor):
            time = torch.full((x.shape[0],), float(time), dtype=x.dtype, device=x.device)
        time = time.to(x.device, x.dtype)
        eps = self.denoiser(x, time, labels)
        if not isinstance(eps, torch.Tensor) or eps.shape != x.shape:
            raise ValueError(f"the denoiser must return eps of the shape of x {tuple(x.shape)}, got "
                             f"{tuple(eps.shape) if isinstance(eps, torch.Tensor) else type(eps).__name__}")
        w = check_number(guidance_scale, "guidance_scale", allow_zero=True)
        if w and labels is not None:
            eps_unconditional = self.denoiser(x, time, null_labels(x.shape[0], self.num_classes, x.device))
            eps = classifier_free_guidance(eps, eps_unconditional, w)
        return eps

    def predict_noise(self, x_t, t, context=None, guidance_scale=0.0):
        """eps_theta(x_t, t / T) at integer steps t (an int or (N,)), x_t in model space (N, *data_shape)."""
        t = self._steps(t, x_t.shape[0])
        labels = self.context_labels(context, x_t.shape[0], allow_null=True)
        return self.noise_prediction(x_t, self.schedule.times(t), labels, guidance_scale)

    def predict_x0(self, x_t, t, eps):
        """x^_0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t): the data the noise prediction implies."""
        t = self._steps(t, x_t.shape[0], minimum=0)
        s = self.schedule
        return (x_t - s.extract(s.sqrt_one_minus_alpha_bar, t, x_t) * eps) / s.extract(s.sqrt_alpha_bar, t, x_t)

    # --- forward process and training -----------------------------------------------------------------------------

    def q_sample(self, x0, t, noise=None, *, generator=None):
        """x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps of x0 in model space (N, ...) at steps t (int or
        (N,), 0..T); eps is ``noise`` or drawn from ``generator``."""
        check_tensor(x0, "x0")
        t = self._steps(t, x0.shape[0], minimum=0)
        if noise is None:
            noise = standard_normal(x0.shape, x0, check_generator(generator))
        elif not isinstance(noise, torch.Tensor) or noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got "
                             f"{tuple(noise.shape) if isinstance(noise, torch.Tensor) else type(noise).__name__}")
        s = self.schedule
        return s.extract(s.sqrt_alpha_bar, t, x0) * x0 + s.extract(s.sqrt_one_minus_alpha_bar, t, x0) * noise

    def q_posterior(self, x0, x_t, t):
        """Mean and variance of q(x_{t-1} | x_t, x_0) (mu~_t (N, ...), beta~_t broadcastable) at steps t in 1..T."""
        t = self._steps(t, x_t.shape[0])
        s = self.schedule
        mean = s.extract(s.posterior_mean_coef_x0, t, x_t) * x0 + s.extract(s.posterior_mean_coef_xt, t, x_t) * x_t
        return mean, s.extract(s.posterior_variance, t, x_t)

    def loss(self, x, *, context=None, generator=None):
        """L_simple (Algorithm 1 of Ho et al. 2020): mean over examples and dimensions of |eps - eps_theta(x_t, t/T)|^2,
        t ~ U{1..T}; in training mode labels are dropped to the null label with probability ``label_dropout``."""
        x0 = self.to_model_space(x)
        labels = self.context_labels(context, x0.shape[0])
        if labels is not None and self.training and self.label_dropout:
            labels = drop_labels(labels, self.num_classes, self.label_dropout, generator)
        t = torch.randint(1, self.num_steps + 1, (x0.shape[0],), generator=generator)  # (N,) on the CPU
        noise = standard_normal(x0.shape, x0, generator)
        eps = self.noise_prediction(self.q_sample(x0, t, noise), self.schedule.times(t), labels)
        return ((eps - noise) ** 2).mean()

    # --- ancestral sampling (DDPM) --------------------------------------------------------------------------------

    def p_mean_variance(self, x_t, t, context=None, guidance_scale=0.0, clip_x0=False):
        """(mean, variance) of p_theta(x_{t-1} | x_t): the posterior q(x_{t-1} | x_t, x^_0) at the predicted x^_0,
        i.e. mean 1/sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta), variance beta~_t (beta_1 at t = 1,
        the decoder's). ``clip_x0`` clips x^_0 to [-1, 1] (only for levels data) first."""
        t = self._steps(t, x_t.shape[0])
        eps = self.predict_noise(x_t, t, context, guidance_scale)
        x0 = self.predict_x0(x_t, t, eps)
        if clip_x0:
            x0 = x0.clamp(-1.0, 1.0)
        mean, variance = self.q_posterior(x0, x_t, t)
        s = self.schedule
        variance = torch.where(t.to(x_t.device).reshape(variance.shape) == 1, s.extract(s.betas, t, x_t), variance)
        return mean, variance

    @torch.no_grad()
    def p_sample(self, x_t, t, *, generator=None, context=None, guidance_scale=0.0, clip_x0=False):
        """One ancestral step x_t -> x_{t-1} (Algorithm 2 of Ho et al. 2020) for a step t in 1..T (an int or (N,)):
        x_{t-1} = mean + sigma_t z with sigma_t^2 = beta~_t, and z = 0 where t = 1 (the final mean)."""
        check_tensor(x_t, "x_t")
        check_generator(generator)
        t = self._steps(t, x_t.shape[0])
        mean, variance = self.p_mean_variance(x_t, t, context, guidance_scale, clip_x0)
        noise = standard_normal(x_t.shape, x_t, generator)
        last = (t.to(x_t.device) == 1).reshape(-1, *([1] * (x_t.dim() - 1)))
        return torch.where(last, mean, mean + variance.sqrt() * noise)

    def prior_sample(self, num_samples, generator=None):
        """x_T ~ N(0, I) in model space, (num_samples, *data_shape)."""
        check_count(num_samples)
        return standard_normal((num_samples, *self.data_shape), self._like(), check_generator(generator))

    @torch.no_grad()
    def _sample(self, num_samples, *, generator, context, guidance_scale=0.0, clip_x0=False):
        """Ancestral sampling over all T steps (Algorithm 2), returned in data space (levels for levels data)."""
        x = self.prior_sample(num_samples, generator)
        self.context_labels(context, num_samples)  # validate the labels once
        for t in range(self.num_steps, 0, -1):
            x = self.p_sample(x, t, generator=generator, context=context, guidance_scale=guidance_scale,
                              clip_x0=clip_x0)
            check_finite_state(x, f"at ancestral step t = {t} of {self.num_steps}", SAMPLER_ADVICE)
        return self.to_data_space(x)

    # --- DDIM ----------------------------------------------------------------------------------------------------

    def ddim_step(self, x_t, t, t_prev, eps, *, eta=0.0, generator=None, clip_x0=False):
        """One DDIM step from step t to t_prev < t (ints) given eps_theta(x_t) (see the module docstring)."""
        check_int(t, "t", minimum=1)
        check_int(t_prev, "t_prev", minimum=0)
        if not t_prev < t <= self.num_steps:
            raise ValueError(f"need 0 <= t_prev < t <= T = {self.num_steps}, got t={t}, t_prev={t_prev}")
        eta = check_number(eta, "eta", allow_zero=True)
        alpha_bar, alpha_bar_prev = float(self.schedule.alpha_bar[t]), float(self.schedule.alpha_bar[t_prev])
        x0 = self.predict_x0(x_t, t, eps)
        if clip_x0:
            x0 = x0.clamp(-1.0, 1.0)
        sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)) ** 0.5
        x_prev = alpha_bar_prev ** 0.5 * x0 + max(1 - alpha_bar_prev - sigma ** 2, 0.0) ** 0.5 * eps
        if sigma > 0:
            x_prev = x_prev + sigma * standard_normal(x_t.shape, x_t, generator)
        return x_prev

    @torch.no_grad()
    def ddim_sample(self, num_samples, num_steps, *, eta=0.0, generator=None, context=None, guidance_scale=0.0,
                    clip_x0=False, x_T=None):
        """DDIM sampling with ``num_steps`` steps (1..T) of the sub-sequence :func:`ddim_steps`; eta = 0 is
        deterministic given x_T (drawn from ``generator`` unless given, model space). Returned in data space."""
        check_count(num_samples)
        check_generator(generator)
        labels = self.context_labels(context, num_samples, allow_null=True)
        x = self.prior_sample(num_samples, generator) if x_T is None else check_tensor(x_T, "x_T").clone()
        if x.shape != (num_samples, *self.data_shape):
            raise ValueError(f"x_T must have shape {(num_samples, *self.data_shape)}, got {tuple(x.shape)}")
        steps = ddim_steps(num_steps, self.num_steps).tolist()
        for t, t_prev in zip(steps[:-1], steps[1:]):
            eps = self.noise_prediction(x, t / self.num_steps, labels, guidance_scale)
            x = self.ddim_step(x, t, t_prev, eps, eta=eta, generator=generator, clip_x0=clip_x0)
            check_finite_state(x, f"at DDIM step t = {t} -> {t_prev} ({num_steps} steps)", SAMPLER_ADVICE)
        return self.to_data_space(x)

    # --- the variational bound ------------------------------------------------------------------------------------

    def decoder_log_likelihood(self, x0, x1, context=None):
        """log p_theta(x_0 | x_1), (N,) float64: N(x_0; mean_1, beta_1) for continuous data, the same Gaussian over the
        bins of the K levels for levels data (``bound.discretized_gaussian_log_likelihood``)."""
        mean, variance = self.p_mean_variance(x1, 1, context)
        log_var = torch.log(variance.double())
        if self.num_levels is not None:
            return discretized_gaussian_log_likelihood(x0, mean, 0.5 * log_var, self.num_levels)
        log_density = -0.5 * (LOG_TWO_PI + log_var + (x0.double() - mean.double()) ** 2 / variance.double())
        return log_density.reshape(x0.shape[0], -1).sum(dim=1)

    def _bound_steps(self, num_timesteps, n, generator):
        """(steps, weights) of the sum over t = 2..T: every t, or for each of ``num_timesteps`` equal strata one uniform
        draw per example (N,), weighted by the stratum's size (an unbiased estimate of the sum)."""
        if num_timesteps is None or num_timesteps >= self.num_steps - 1:
            return list(range(2, self.num_steps + 1)), [1.0] * (self.num_steps - 1)
        check_int(num_timesteps, "num_timesteps", minimum=1)
        edges = torch.linspace(2, self.num_steps + 1, num_timesteps + 1).round().long().tolist()
        strata = list(zip(edges[:-1], edges[1:]))
        return ([torch.randint(low, high, (n,), generator=generator) for low, high in strata],
                [float(high - low) for low, high in strata])

    def bound_terms(self, x, *, generator=None, context=None, num_timesteps=None):
        """The terms of -bound in nats per example, each (N,) float64, one draw of every x_t:
        ``prior`` KL(q(x_T | x_0) || N(0, I)), ``diffusion`` sum_{t=2}^T KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))
        (all T - 1 terms, or the stratified estimate from ``num_timesteps`` of them) and ``decoder`` -log p(x_0 | x_1)."""
        x0 = self.to_model_space(x)
        s, n = self.schedule, x0.shape[0]
        last = torch.full((n,), self.num_steps, dtype=torch.long)
        prior = gaussian_kl(s.extract(s.sqrt_alpha_bar, last, x0) * x0,
                            torch.log(s.extract(1 - s.alpha_bar, last, x0.double())), 0.0, 0.0)
        diffusion = torch.zeros(n, dtype=torch.float64, device=x0.device)
        for t, weight in zip(*self._bound_steps(num_timesteps, n, generator)):
            x_t = self.q_sample(x0, t, generator=generator)
            true_mean, true_variance = self.q_posterior(x0, x_t, t)
            mean, variance = self.p_mean_variance(x_t, t, context)
            diffusion = diffusion + weight * gaussian_kl(true_mean, torch.log(true_variance.double()), mean,
                                                         torch.log(variance.double()))
        decoder = -self.decoder_log_likelihood(x0, self.q_sample(x0, 1, generator=generator), context)
        return {"prior": prior, "diffusion": diffusion, "decoder": decoder}

    @torch.no_grad()
    def _log_prob_bound(self, x, *, num_samples, generator, context, num_timesteps=None):
        """The variational bound -(prior + diffusion + decoder) averaged over ``num_samples`` draws, (N,) float64: a
        lower bound on log p(x) (of the levels, for levels data) in nats per example, without gradients (T network
        calls per draw; ``num_timesteps=M`` estimates the sum over the steps from M stratified ones, unbiased)."""
        total = 0.0
        for _ in range(num_samples):
            terms = self.bound_terms(x, generator=generator, context=context, num_timesteps=num_timesteps)
            total = total - (terms["prior"] + terms["diffusion"] + terms["decoder"])
        return total / num_samples
