"""Correct, with loops: q_sample loops over the rows, p_sample and DDIM over the coordinates (Python floats for the
schedule, alpha_bar by a running product, one noise draw per coordinate); the loss draws the steps by
`torch.multinomial` over 1..T and the noise row by row; guidance by `torch.lerp(eps_uncond, eps_cond, 1 + w)`.

expect-zero: none
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    rows = []
    for i in range(x0.shape[0]):
        alpha_bar = float(alpha_bars[int(t[i]) - 1])
        rows.append(math.sqrt(alpha_bar) * x0[i] + math.sqrt(1 - alpha_bar) * noise[i])
    return torch.stack(rows)

# %% diffusion_loss
def diffusion_loss(eps_model, x0, alpha_bars, generator=None):
    num_steps = len(alpha_bars)
    t = torch.multinomial(torch.ones(num_steps), x0.shape[0], replacement=True, generator=generator) + 1
    noise = torch.stack([torch.randn(x0.shape[1], generator=generator, dtype=x0.dtype) for _ in range(x0.shape[0])])
    prediction = eps_model(q_sample(x0, t, alpha_bars, noise), t)
    return ((prediction - noise) ** 2).sum() / noise.numel()

# %% p_sample
def p_sample(eps_model, x_t, t, betas, generator=None):
    alpha_bar, alpha_bar_prev = 1.0, 1.0
    for s in range(t):
        alpha_bar_prev = alpha_bar
        alpha_bar *= 1.0 - float(betas[s])
    beta = float(betas[t - 1])
    with torch.no_grad():
        eps = eps_model(x_t, torch.tensor([t] * x_t.shape[0]))
    columns = []
    for j in range(x_t.shape[1]):
        mean = (x_t[:, j] - beta / math.sqrt(1 - alpha_bar) * eps[:, j]) / math.sqrt(1 - beta)
        if t > 1:
            std = math.sqrt((1 - alpha_bar_prev) / (1 - alpha_bar) * beta)
            mean = mean + std * torch.randn(x_t.shape[0], generator=generator, dtype=x_t.dtype)
        columns.append(mean)
    return torch.stack(columns, dim=1).detach()

# %% ddim_step
def ddim_step(x_t, t, t_prev, eps, alpha_bars, eta=0.0, generator=None):
    ab = float(alpha_bars[t - 1])
    ab_prev = 1.0 if t_prev == 0 else float(alpha_bars[t_prev - 1])
    sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
    columns = []
    for j in range(x_t.shape[1]):
        x0 = (x_t[:, j] - math.sqrt(1 - ab) * eps[:, j]) / math.sqrt(ab)
        column = math.sqrt(ab_prev) * x0 + math.sqrt(max(0.0, 1 - ab_prev - sigma * sigma)) * eps[:, j]
        if eta > 0:
            column = column + sigma * torch.randn(x_t.shape[0], generator=generator, dtype=x_t.dtype)
        columns.append(column.detach())
    return torch.stack(columns, dim=1)

# %% guidance
def classifier_free_guidance(eps_cond, eps_uncond, w):
    return torch.lerp(eps_uncond, eps_cond, 1 + w)
