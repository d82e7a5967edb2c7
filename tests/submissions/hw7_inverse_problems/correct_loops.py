"""Loops everywhere: the mask pixel by pixel, the projections line by line over the pixels, the least-squares solution
through pinv of A A^T (the minimum-norm solution for full row rank, pinv handles the rank-deficient case), the norm as
the square root of a sum of squares (its gradient through grad_outputs of ones), alpha_bar by a running product of
Python floats, and the given ancestral_step.

expect-zero: none
"""
# %% masking
def mask_forward(x, mask):
    columns = [x[:, k] for k in range(mask.shape[0]) if bool(mask[k])]
    return torch.stack(columns, dim=1)


def mask_adjoint(y, mask):
    columns, used = [], 0
    for k in range(mask.shape[0]):
        if bool(mask[k]):
            columns.append(y[:, used])
            used += 1
        else:
            columns.append(torch.zeros(y.shape[0], dtype=y.dtype))
    return torch.stack(columns, dim=1)

# %% projections
def line_of(name, i, j, size):
    return {"rows": i, "columns": j, "diagonals": j - i + size - 1, "antidiagonals": i + j}[name]


def count_of(name, size):
    return size if name in ("rows", "columns") else 2 * size - 1


def projection_forward(x, directions):
    size = math.isqrt(x.shape[1])
    parts = []
    for name in directions:
        sums = [torch.zeros(x.shape[0], dtype=x.dtype) for _ in range(count_of(name, size))]
        for i in range(size):
            for j in range(size):
                line = line_of(name, i, j, size)
                sums[line] = sums[line] + x[:, i * size + j]
        parts.extend(sums)
    return torch.stack(parts, dim=1)


def projection_adjoint(y, directions, size):
    pixels = []
    for i in range(size):
        for j in range(size):
            total, start = torch.zeros(y.shape[0], dtype=y.dtype), 0
            for name in directions:
                total = total + y[:, start + line_of(name, i, j, size)]
                start += count_of(name, size)
            pixels.append(total)
    return torch.stack(pixels, dim=1)

# %% least_squares
def least_squares_reconstruction(y, A, x_ref=None):
    if x_ref is None:
        x_ref = torch.zeros(A.shape[1], dtype=A.dtype)
    A64 = A.double()
    pseudo_inverse = A64.T @ torch.linalg.pinv(A64 @ A64.T, hermitian=True)
    rows = [x_ref.double() + pseudo_inverse @ (y[n].double() - A64 @ x_ref.double()) for n in range(y.shape[0])]
    return torch.stack(rows).to(y.dtype)

# %% guided_step
def guided_step(eps_model, x_t, t, y, forward, betas, step_size, generator=None):
    alpha_bar = 1.0
    for s in range(t):
        alpha_bar = alpha_bar * (1.0 - float(betas[s]))
    with torch.enable_grad():
        x = x_t.clone().detach()
        x.requires_grad_(True)
        eps = eps_model(x, torch.tensor([t] * x.shape[0]))
        x0_hat = (x - math.sqrt(1.0 - alpha_bar) * eps) / math.sqrt(alpha_bar)
        residual = y - forward(x0_hat)
        norms = ((residual ** 2).sum(dim=1)) ** 0.5
        gradient = torch.autograd.grad(norms, [x], grad_outputs=torch.ones_like(norms))[0]
    with torch.no_grad():
        return ancestral_step(x_t.detach(), t, eps.detach(), betas, generator=generator) - step_size * gradient
