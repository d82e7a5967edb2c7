"""Conditional sampling for inverse problems with a diffusion model: inpainting by replacement, measurement guidance.

Some values y = x_0[m] of an example are known (the mask m), the rest is to be generated from p(x_0 | x_0[m] = y).
The replacement method (Song et al. 2021b, appendix I; RePaint without resampling, Lugmayr et al. 2022) runs the
ancestral sampler and, after every step t -> t-1, overwrites the known coordinates with a fresh draw of the forward
process at step t-1,

    x_{t-1}[m] = sqrt(alpha_bar_{t-1}) y + sqrt(1 - alpha_bar_{t-1}) eps,     x_{t-1}[~m] from p_theta(x_{t-1} | x_t),

so that the unknown part is denoised in the presence of a correctly noised known part; at t - 1 = 0 the known part
is y itself. It is an approximation of the conditional (the unknown part sees the known one only through the
network), exact where the two are independent.

For a general measurement y = A(x_0) + noise (a blur, a down-sampling, a projection), :func:`measurement_guided_sample`
follows diffusion posterior sampling (Chung et al. 2023): after every ancestral step it moves x_{t-1} down the gradient
of the measurement error of the denoised guess x^_0(x_t) = (x_t - sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_bar_t),

    x_{t-1} <- x_{t-1} - zeta grad_{x_t} |y - A(x^_0(x_t))| ,     zeta = step_size (Chung et al.'s zeta_t / |y - A|
                                                                  normalization: the step has length ~ step_size),

which differentiates through the network. Neither needs a model trained for the task (a conditional model takes its
context as well); neither samples the exact posterior.
"""

import torch

from dgm_utils._validation import check_generator, check_number, check_tensor
from dgm_utils.diffusion.ode import check_finite_state
from dgm_utils.diffusion.process import SAMPLER_ADVICE, GaussianDiffusion

__all__ = ["inpaint", "measurement_guided_sample"]


@torch.no_grad()
def inpaint(model, observed, mask, *, generator=None, context=None, guidance_scale=0.0, clip_x0=False):
    """Complete ``observed`` (N, *data_shape, data space: levels for levels data) where ``mask`` (bool, same shape)
    is False, keeping the values where it is True; returns (N, *data_shape) in data space.

    Args:
        model: a :class:`GaussianDiffusion`.
        observed: the examples; only the values under the mask are read (the others may be anything valid).
        mask: a bool tensor of the shape of ``observed``, True where a value is known.
        generator, context, guidance_scale, clip_x0: as for ``model.sample``.
    """
    if not isinstance(model, GaussianDiffusion):
        raise TypeError(f"model must be a GaussianDiffusion, got {type(model).__name__}")
    check_generator(generator)
    known = model.to_model_space(observed, "observed")
    check_tensor(mask, "mask", floating=False)
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a bool tensor (True where a value is known), got dtype {mask.dtype}")
    if mask.shape != observed.shape:
        raise ValueError(f"mask must have the shape of observed {tuple(observed.shape)}, got {tuple(mask.shape)}")
    mask = mask.to(known.device)
    n = known.shape[0]
    model.context_labels(context, n)  # validate once
    x = model.prior_sample(n, generator)
    for t in range(model.num_steps, 0, -1):
        x = model.p_sample(x, t, generator=generator, context=context, guidance_scale=guidance_scale, clip_x0=clip_x0)
        known_noised = model.q_sample(known, t - 1, generator=generator) if t > 1 else known
        x = torch.where(mask, known_noised, x)
        check_finite_state(x, f"at inpainting step t = {t} of {model.num_steps}", SAMPLER_ADVICE)
    return model.to_data_space(x)


def measurement_guided_sample(model, measurement, operator, *, step_size=1.0, generator=None, context=None):
    """Samples whose denoised guesses agree with ``measurement`` y (N, M) through ``operator`` A: x (N, *data_shape,
    model space) -> (N, M), differentiable (diffusion posterior sampling, see the module docstring); returned in data
    space.

    Args:
        model: a :class:`GaussianDiffusion`.
        measurement: y, a floating tensor (N, M) (in the units of A applied to model-space values: [-1, 1] for levels).
        operator: a differentiable function A (N, *data_shape) -> (N, M), e.g. ``lambda x: x[:, :1]``.
        step_size: zeta > 0, the length of the correction at every step (Chung et al. use 0.1-1).
        generator, context: as for ``model.sample``.
    """
    if not isinstance(model, GaussianDiffusion):
        raise TypeError(f"model must be a GaussianDiffusion, got {type(model).__name__}")
    if not callable(operator):
        raise TypeError(f"operator must be a function x -> A(x), got {type(operator).__name__}")
    check_tensor(measurement, "measurement", dims=(2,))
    check_number(step_size, "step_size")
    check_generator(generator)
    n = measurement.shape[0]
    model.context_labels(context, n)  # validate once
    x = model.prior_sample(n, generator)
    measurement = measurement.to(x.device, x.dtype)
    for t in range(model.num_steps, 0, -1):
        with torch.enable_grad():
            x_t = x.detach().requires_grad_(True)
            x0 = model.predict_x0(x_t, t, model.predict_noise(x_t, t, context))
            predicted = operator(x0)
            if not isinstance(predicted, torch.Tensor) or predicted.shape != measurement.shape:
                raise ValueError(f"operator must map x {tuple(x.shape)} to the measurement's shape "
                                 f"{tuple(measurement.shape)}, got "
                                 f"{tuple(predicted.shape) if isinstance(predicted, torch.Tensor) else predicted}")
            error = ((measurement - predicted) ** 2).reshape(n, -1).sum(dim=1)  # (N,)
            (gradient,) = torch.autograd.grad(error.sqrt().sum(), x_t)  # rows independent: each row's gradient
        with torch.no_grad():
            x = model.p_sample(x_t.detach(), t, generator=generator, context=context) - step_size * gradient
        check_finite_state(x, f"at measurement-guided step t = {t} of {model.num_steps}",
                           SAMPLER_ADVICE + "; or a smaller step_size")
    return model.to_data_space(x)
