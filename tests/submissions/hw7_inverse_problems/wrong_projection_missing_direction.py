"""projection_forward silently skips the antidiagonals (the adjoint is right).

expect-zero: test_projection_values test_projection_adjoint
"""
# %% projections
def projection_forward(x, directions):
    size = math.isqrt(x.shape[1])
    rows, columns = torch.arange(size).repeat_interleave(size), torch.arange(size).repeat(size)
    bins = {"rows": (rows, size), "columns": (columns, size), "diagonals": (columns - rows + size - 1, 2 * size - 1),
            "antidiagonals": (rows + columns, 2 * size - 1)}
    parts = [x.new_zeros(x.shape[0], bins[name][1]).index_add(1, bins[name][0], x) for name in directions if name != "antidiagonals"]
    return torch.cat(parts, dim=1)


def projection_adjoint(y, directions, size):
    rows, columns = torch.arange(size).repeat_interleave(size), torch.arange(size).repeat(size)
    bins = {"rows": (rows, size), "columns": (columns, size), "diagonals": (columns - rows + size - 1, 2 * size - 1),
            "antidiagonals": (rows + columns, 2 * size - 1)}
    x = y.new_zeros(y.shape[0], size * size)
    start = 0
    for name in directions:
        x = x + y[:, start + bins[name][0]]
        start += bins[name][1]
    return x
