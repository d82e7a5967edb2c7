"""Everything in float64 and cast back: masks by torch.where / nonzero indices and index_put, projections by
scatter_add and gather (the adjoint through the index of every pixel's line), least squares through the SVD (the
nonzero singular values only), alpha_bar in log space, the residual norm by torch.linalg.norm.

expect-zero: none
"""
# %% masking
def mask_forward(x, mask):
    return torch.index_select(x.double(), 1, torch.nonzero(mask).flatten()).to(x.dtype)


def mask_adjoint(y, mask):
    out = torch.zeros(y.shape[0], mask.numel(), dtype=torch.float64)
    out = out.index_put((torch.arange(y.shape[0])[:, None], torch.nonzero(mask).flatten()[None, :]), y.double())
    return out.to(y.dtype)

# %% projections
def lines(name, size):
    i = torch.arange(size * size) // size
    j = torch.arange(size * size) % size
    if name == "rows":
        return i, size
    if name == "columns":
        return j, size
    if name == "diagonals":
        return j - i + (size - 1), 2 * size - 1
    if name == "antidiagonals":
        return i + j, 2 * size - 1
    raise ValueError(f"unknown direction {name!r}")


def projection_forward(x, directions):
    size = round(x.shape[1] ** 0.5)
    blocks = []
    for name in directions:
        index, count = lines(name, size)
        blocks.append(torch.zeros(x.shape[0], count, dtype=torch.float64).scatter_add(
            1, index.expand(x.shape[0], -1), x.double()))
    return torch.cat(blocks, 1).to(x.dtype)


def projection_adjoint(y, directions, size):
    out, offset = torch.zeros(y.shape[0], size * size, dtype=torch.float64), 0
    for name in directions:
        index, count = lines(name, size)
        out = out + torch.gather(y.double()[:, offset:offset + count], 1, index.expand(y.shape[0], -1))
        offset += count
    return out.to(y.dtype)

# %% least_squares
def least_squares_reconstruction(y, A, x_ref=None):
    A64 = A.double()
    shift = torch.zeros(A.shape[1], dtype=torch.float64) if x_ref is None else x_ref.double()
    u, s, vh = torch.linalg.svd(A64, full_matrices=False)
    keep = s > s.max() * 1e-10
    coefficients = ((y.double() - shift @ A64.T) @ u[:, keep]) / s[keep]
    return (shift + coefficients @ vh[keep]).to(y.dtype)

# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    log_alpha_bar = torch.log1p(-betas.double())[:t].sum()
    scale_noise = torch.sqrt(-torch.expm1(log_alpha_bar))
    scale_signal = torch.exp(0.5 * log_alpha_bar)
    x = x_t.detach().clone().requires_grad_()
    with torch.enable_grad():
        eps = eps_model(x, torch.full((len(x),), t, dtype=torch.int64))
        x0_hat = (x.double() - scale_noise * eps.double()) / scale_signal
        residual = y.double() - forward(x0_hat.to(x.dtype)).double()
        gradient, = torch.autograd.grad(torch.linalg.norm(residual, dim=1).sum(), x)
    x_prev = ancestral_step(x_t.detach().double(), t, eps.detach().double(), betas.double(), generator)
    return (x_prev - step_size * gradient.double()).to(x_t.dtype).detach()
