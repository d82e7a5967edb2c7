"""Operators as matrices built from the pixels, adjoints by torch.func.vjp of the forward maps, the least-squares
solution by torch.linalg.lstsq (gelsd, minimum norm), the guidance gradient by torch.func.vjp and the ancestral step
written out with torch.normal noise.

expect-zero: none
"""
# %% masking
def mask_forward(x, mask):
    matrix = torch.eye(mask.shape[0], dtype=x.dtype)[mask]
    return x @ matrix.T


def mask_adjoint(y, mask):
    _, pullback = torch.func.vjp(lambda x: mask_forward(x, mask), y.new_zeros(y.shape[0], mask.shape[0]))
    return pullback(y)[0]

# %% projections
def projection_forward(x, directions):
    size = math.isqrt(x.shape[1])
    i, j = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    i, j = i.reshape(-1), j.reshape(-1)
    blocks = []
    for name in directions:
        key, count = {"rows": (i, size), "columns": (j, size), "diagonals": (j - i + size - 1, 2 * size - 1),
                      "antidiagonals": (i + j, 2 * size - 1)}[name]
        blocks.append((key[None, :] == torch.arange(count)[:, None]).to(x.dtype))
    return x @ torch.cat(blocks).T


def projection_adjoint(y, directions, size):
    _, pullback = torch.func.vjp(lambda x: projection_forward(x, directions), y.new_zeros(y.shape[0], size * size))
    return pullback(y)[0]

# %% least_squares
def least_squares_reconstruction(y, A, x_ref=None):
    reference = torch.zeros(A.shape[1], dtype=A.dtype) if x_ref is None else x_ref
    solution = torch.linalg.lstsq(A.double(), (y - reference @ A.T).double().T, driver="gelsd").solution
    return (reference + solution.T).to(y.dtype)

# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    betas = betas.double()
    alpha_bars = torch.cumprod(1 - betas, dim=0)
    steps = torch.full((x_t.shape[0],), t, dtype=torch.int64)

    def distance(x):
        eps = eps_model(x, steps)
        x0_hat = (x - torch.sqrt(1 - alpha_bars[t - 1]).to(x.dtype) * eps) / torch.sqrt(alpha_bars[t - 1]).to(x.dtype)
        return torch.linalg.vector_norm(y - forward(x0_hat), dim=1).sum(), eps

    with torch.enable_grad():
        (value, pullback, eps) = torch.func.vjp(distance, x_t.detach(), has_aux=True)
        (gradient,) = pullback(torch.ones_like(value))
    with torch.no_grad():
        x = x_t.detach().double()
        mean = (x - betas[t - 1] / torch.sqrt(1 - alpha_bars[t - 1]) * eps.double()) / torch.sqrt(1 - betas[t - 1])
        if t > 1:
            std = torch.sqrt((1 - alpha_bars[t - 2]) / (1 - alpha_bars[t - 1]) * betas[t - 1])
            mean = mean + torch.normal(0.0, float(std), size=x.shape, generator=generator, dtype=torch.float64)
        return (mean - step_size * gradient.double()).to(x_t.dtype)
