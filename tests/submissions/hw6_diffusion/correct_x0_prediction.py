"""Correct, written through the predicted data: x^_0 from eps, then the posterior mean's two coefficients (mu~_t =
c_0 x^_0 + c_t x_t) and sqrt(beta~_t) z at every step (0 at t = 1); q_sample in float64 and cast; the loss with
`torch.normal` noise, steps `randint(0, T) + 1` and `F.mse_loss`; DDIM through x_t and eps directly,
sqrt(ab'/ab) x_t + (sqrt(1 - ab' - s^2) - sqrt(ab' (1 - ab) / ab)) eps; guidance as eps_c + w (eps_c - eps_u).

expect-zero: none
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    alpha_bar = torch.sqrt(alpha_bars.double()[t - 1]).unsqueeze(1)  # (N, 1), float64
    return (alpha_bar * x0.double() + torch.sqrt(1 - alpha_bar ** 2) * noise.double()).to(x0.dtype)

# %% diffusion_loss
import torch.nn.functional as F


def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    t = torch.randint(0, len(alpha_bars), (len(x0),), generator=generator) + 1
    noise = torch.normal(0.0, 1.0, size=tuple(x0.shape), generator=generator, dtype=x0.dtype)
    return F.mse_loss(eps_model(q_sample(x0, t, alpha_bars, noise), t), noise)

# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    with torch.no_grad():
        b = betas.double()
        alpha_bars = torch.cumprod(1 - b, 0)
        alpha_bar = alpha_bars[t - 1]
        alpha_bar_prev = alpha_bars[t - 2] if t >= 2 else torch.tensor(1.0, dtype=torch.float64)
        eps = eps_model(x_t, t * torch.ones(len(x_t), dtype=torch.int64))
        x0 = (x_t - torch.sqrt(1 - alpha_bar) * eps) / torch.sqrt(alpha_bar)
        coef_x0 = torch.sqrt(alpha_bar_prev) * b[t - 1] / (1 - alpha_bar)
        coef_xt = torch.sqrt(1 - b[t - 1]) * (1 - alpha_bar_prev) / (1 - alpha_bar)
        variance = (1 - alpha_bar_prev) / (1 - alpha_bar) * b[t - 1]  # 0 at t = 1
        z = torch.normal(0.0, 1.0, size=tuple(x_t.shape), generator=generator, dtype=x_t.dtype)
        return coef_x0 * x0 + coef_xt * x_t + torch.sqrt(variance) * z

# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    ab = float(alpha_bars[t - 1])
    ab_prev = float(alpha_bars[t_prev - 1]) if t_prev >= 1 else 1.0
    sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab)) * math.sqrt(1 - ab / ab_prev)
    direction = math.sqrt(max(1 - ab_prev - sigma ** 2, 0.0)) - math.sqrt(ab_prev * (1 - ab) / ab)
    x_prev = math.sqrt(ab_prev / ab) * x_t.detach() + direction * eps.detach()
    if sigma > 0:
        x_prev = x_prev + sigma * torch.normal(0.0, 1.0, size=tuple(x_t.shape), generator=generator, dtype=x_t.dtype)
    return x_prev

# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return eps_cond + w * (eps_cond - eps_uncond)
