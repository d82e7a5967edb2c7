"""Calls the course's reference implementations in dgm_utils.diffusion instead of implementing anything: every test
cell must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% q_sample
import types

import dgm_utils.diffusion


def _schedule_of(alpha_bars):
    """What GaussianDiffusion's methods read of self, without building a NoiseSchedule."""
    alpha_bar = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bars.double()])
    schedule = types.SimpleNamespace(alpha_bar=alpha_bar, sqrt_alpha_bar=alpha_bar.sqrt(),
                                     sqrt_one_minus_alpha_bar=(1 - alpha_bar).sqrt(),
                                     extract=lambda values, t, like: values[t].to(like.dtype).reshape(-1, 1))
    return types.SimpleNamespace(schedule=schedule, num_steps=len(alpha_bars))


def q_sample(x0, t, alpha_bars, noise):
    return dgm_utils.diffusion.GaussianDiffusion.q_sample(_schedule_of(alpha_bars), x0, t, noise)

# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    steps = dgm_utils.diffusion.ddim_steps(len(alpha_bars), len(alpha_bars))[:-1]  # T, T - 1, ..., 1
    t = steps[torch.randint(len(alpha_bars), (len(x0),), generator=generator)]
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return ((eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise) ** 2).mean()

# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        schedule = dgm_utils.diffusion.NoiseSchedule(betas)
        eps = eps_model(x_t, torch.full((len(x_t),), t))
        x0 = (x_t - schedule.sqrt_one_minus_alpha_bar[t] * eps) / schedule.sqrt_alpha_bar[t]
        mean = schedule.posterior_mean_coef_x0[t] * x0 + schedule.posterior_mean_coef_xt[t] * x_t
        noise = torch.randn(x_t.shape, generator=generator, dtype=x_t.dtype)
        return (mean + schedule.posterior_variance[t].sqrt() * noise).to(x_t.dtype)

# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    return dgm_utils.diffusion.GaussianDiffusion.ddim_step(_schedule_of(alpha_bars), x_t, t, t_prev, eps, eta=eta,
                                                           generator=generator)

# %% guidance
from dgm_utils.diffusion import classifier_free_guidance as _reference_guidance


def classifier_free_guidance(eps_cond, eps_uncond, w):
    return _reference_guidance(eps_cond, eps_uncond, max(w, 0.0))
