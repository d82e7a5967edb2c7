"""Correct, in float64 and log space: alpha_bar = exp(cumsum(log1p(-beta))) everywhere, results cast back to the
data's dtype; `normal_` noise on new tensors; the loss's steps as `randint(T) + 1`, the mean written as sum / numel;
the sampler detaches the model's output instead of using no_grad; DDIM's noise only for sigma > 0.

expect-zero: none
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    log_alpha_bar = torch.log(alpha_bars.double())[t - 1].reshape(-1, 1)
    x = torch.exp(0.5 * log_alpha_bar) * x0.double() + torch.sqrt(-torch.expm1(log_alpha_bar)) * noise.double()
    return x.to(x0.dtype)

# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    t = torch.randint(alpha_bars.numel(), (x0.shape[0],), generator=generator) + 1
    noise = torch.empty(x0.shape, dtype=x0.dtype).normal_(generator=generator)
    residual = eps_model(q_sample(x0, t, alpha_bars, noise), t) - noise
    return residual.pow(2).sum() / residual.numel()

# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    log_alpha_bars = torch.cumsum(torch.log1p(-betas.double()), 0)
    log_alpha_bar = log_alpha_bars[t - 1]
    log_alpha_bar_prev = log_alpha_bars[t - 2] if t > 1 else torch.zeros((), dtype=torch.float64)
    beta = betas.double()[t - 1]
    eps = eps_model(x_t, torch.full((x_t.shape[0],), t, dtype=torch.int64)).detach().double()
    mean = (x_t.double() - beta / torch.sqrt(-torch.expm1(log_alpha_bar)) * eps) / torch.sqrt(1 - beta)
    if t > 1:
        variance = torch.expm1(log_alpha_bar_prev) / torch.expm1(log_alpha_bar) * beta
        mean = mean + torch.sqrt(variance) * torch.empty(x_t.shape, dtype=torch.float64).normal_(generator=generator)
    return mean.to(x_t.dtype)

# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    log_ab = torch.log(alpha_bars.double()[t - 1])
    log_ab_prev = torch.log(alpha_bars.double()[t_prev - 1]) if t_prev > 0 else torch.zeros((), dtype=torch.float64)
    x, e = x_t.detach().double(), eps.detach().double()
    x0 = (x - torch.sqrt(-torch.expm1(log_ab)) * e) * torch.exp(-0.5 * log_ab)
    variance = eta ** 2 * torch.expm1(log_ab_prev) / torch.expm1(log_ab) * (-torch.expm1(log_ab - log_ab_prev))
    x_prev = torch.exp(0.5 * log_ab_prev) * x0 + torch.sqrt((-torch.expm1(log_ab_prev) - variance).clamp(min=0)) * e
    if float(variance) > 0:
        noise = torch.empty(x_t.shape, dtype=torch.float64).normal_(generator=generator)
        x_prev = x_prev + torch.sqrt(variance) * noise
    return x_prev.to(x_t.dtype)

# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return eps_cond * (1.0 + w) - eps_uncond * w
