"""Operators, baselines, SDEdit and scores of dgm_utils.applications.inverse_problems (chapter 8a)."""

import math

import pytest
import torch

from dgm_utils import diffusion
from dgm_utils.applications import inverse_problems as ip


def _operators():
    mask = torch.zeros(64, dtype=torch.bool)
    mask[::3] = True
    return [ip.MaskOperator(mask), ip.AveragePoolOperator(2), ip.AveragePoolOperator(4),
            ip.AveragePoolOperator(2, image_shape=(4, 6)), ip.ProjectionOperator(),
            ip.ProjectionOperator(directions=ip.PROJECTION_DIRECTIONS),
            ip.ProjectionOperator((3, 5), ("diagonals", "rows"))]


@pytest.mark.parametrize("operator", _operators(), ids=repr)
def test_adjoint_identity_and_shapes(operator):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(5, operator.input_size, generator=g, dtype=torch.float64)
    y = torch.randn(5, operator.output_size, generator=g, dtype=torch.float64)
    ax, aty = operator.forward(x), operator.adjoint(y)
    assert ax.shape == (5, operator.output_size) and aty.shape == (5, operator.input_size)
    torch.testing.assert_close((ax * y).sum(1), (x * aty).sum(1))                   # <A x, y> = <x, A^T y>
    matrix = operator.matrix()
    torch.testing.assert_close(operator.adjoint(torch.eye(operator.output_size, dtype=torch.float64)), matrix)
    torch.testing.assert_close(operator(x), x @ matrix.T)


def test_the_adjoint_check_fails_for_a_wrong_adjoint():
    operator = ip.AveragePoolOperator(2)
    x, y = torch.randn(3, 64, dtype=torch.float64), torch.randn(3, 16, dtype=torch.float64)
    wrong = operator.adjoint(y) * 4                      # the nearest-neighbour upsampling, not the transpose
    assert not torch.allclose((operator(x) * y).sum(1), (x * wrong).sum(1))


def test_mask_operator_exact_values():
    mask = torch.tensor([True, False, True, False])
    operator = ip.MaskOperator(mask)
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    assert operator(x).tolist() == [[1.0, 3.0]]
    assert operator.adjoint(torch.tensor([[5.0, 6.0]])).tolist() == [[5.0, 0.0, 6.0, 0.0]]
    assert ip.MaskOperator(mask.reshape(2, 2)).input_size == 4


def test_average_pool_exact_values():
    x = torch.arange(16.0)[None]                         # a 4x4 image 0..15
    low = ip.AveragePoolOperator(2, image_shape=(4, 4))(x)
    assert low.tolist() == [[2.5, 4.5, 10.5, 12.5]]
    assert ip.AveragePoolOperator(4, image_shape=(4, 4))(x).tolist() == [[7.5]]


def test_projection_exact_values():
    x = torch.arange(6.0).reshape(1, 6)                  # [[0, 1, 2], [3, 4, 5]]
    operator = ip.ProjectionOperator((2, 3), ("rows", "columns", "diagonals", "antidiagonals"))
    rows, columns, diagonals, antidiagonals = operator(x)[0].split([2, 3, 4, 4])
    assert rows.tolist() == [3.0, 12.0] and columns.tolist() == [3.0, 5.0, 7.0]
    assert diagonals.tolist() == [2.0, 6.0, 4.0, 3.0]    # row - column = -2, -1, 0, 1
    assert antidiagonals.tolist() == [0.0, 4.0, 6.0, 5.0]  # row + column = 0..3
    assert operator.output_size == 13 and operator.matrix().sum(0).tolist() == [4.0] * 6


def test_operators_reject_bad_input():
    with pytest.raises(TypeError, match="bool"):
        ip.MaskOperator(torch.ones(64))
    with pytest.raises(ValueError, match="at least one"):
        ip.MaskOperator(torch.zeros(64, dtype=torch.bool))
    with pytest.raises(ValueError, match="multiples"):
        ip.AveragePoolOperator(3)
    with pytest.raises(ValueError, match="distinct names"):
        ip.ProjectionOperator(directions=("rows", "spirals"))
    with pytest.raises(ValueError, match="distinct names"):
        ip.ProjectionOperator(directions=("rows", "rows"))
    with pytest.raises(TypeError, match="sequence"):
        ip.ProjectionOperator(directions="rows")
    operator = ip.AveragePoolOperator(2)
    with pytest.raises(ValueError, match=r"\(N, 64\)"):
        operator(torch.zeros(2, 63))
    with pytest.raises(ValueError, match=r"\(N, 16\)"):
        operator.adjoint(torch.zeros(2, 64))
    with pytest.raises(TypeError, match="floating"):
        operator(torch.zeros(2, 64, dtype=torch.long))


def test_least_squares_recovers_x_without_noise_when_full_rank():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 64, generator=g, dtype=torch.float64)
    mask = torch.ones(64, dtype=torch.bool)
    operator = ip.MaskOperator(mask)
    torch.testing.assert_close(ip.least_squares(operator(x), operator), x)
    # full column rank: all four directions on a 2x2 image (4 unknowns, rank 4)
    small = ip.ProjectionOperator((2, 2), ip.PROJECTION_DIRECTIONS)
    z = torch.randn(3, 4, generator=g, dtype=torch.float64)
    torch.testing.assert_close(ip.least_squares(small(z), small), z)


def test_least_squares_minimum_norm_and_regularized_solutions():
    operator = ip.AveragePoolOperator(2)
    x = torch.rand(3, 64, dtype=torch.float64)
    y = operator(x)
    solution = ip.least_squares(y, operator)
    torch.testing.assert_close(operator(solution), y)                                # consistent
    torch.testing.assert_close(solution, ip.upsample(y, 2, mode="nearest").double())  # block-constant = min norm
    mean = torch.full((64,), 0.5, dtype=torch.float64)
    assert torch.allclose(ip.least_squares(y, operator, regularization=1e6, prior_mean=mean), mean.expand(3, 64),
                          atol=1e-4)                                                   # strong prior: the mean
    tikhonov = ip.least_squares(y, operator, regularization=0.1)
    matrix = operator.matrix()
    expected = torch.linalg.solve(matrix.T @ matrix + 0.1 * torch.eye(64, dtype=torch.float64), matrix.T @ y.T).T
    torch.testing.assert_close(tikhonov, expected)
    with pytest.raises(TypeError, match="LinearOperator"):
        ip.least_squares(y, lambda v: v)
    with pytest.raises(ValueError, match="prior_mean"):
        ip.least_squares(y, operator, prior_mean=torch.zeros(3))


def test_harmonic_inpaint_keeps_observed_pixels_and_fills_linear_ramps_exactly():
    ramp = torch.arange(8.0).repeat(8)[None].double()    # each row 0..7: harmonic, Neumann-free in the interior
    mask = torch.zeros(64, dtype=torch.bool)
    mask[0::8] = mask[7::8] = True                       # the first and last columns are observed
    filled = ip.harmonic_inpaint(ramp, mask)
    torch.testing.assert_close(filled, ramp)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(3, 64, generator=g)
    random_mask = torch.rand(3, 64, generator=g) < 0.5
    filled = ip.harmonic_inpaint(x, random_mask)
    assert torch.equal(filled[random_mask], x[random_mask].double())
    assert filled.min() >= x.min() - 1e-9 and filled.max() <= x.max() + 1e-9       # maximum principle
    with pytest.raises(ValueError, match="at least one observed"):
        ip.harmonic_inpaint(x, torch.zeros(64, dtype=torch.bool))


def test_upsample_and_nearest_consistent():
    low = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    up = ip.upsample(low, 2, image_shape=(4, 4), mode="nearest").reshape(4, 4)
    assert up[:2, :2].eq(1).all() and up[2:, 2:].eq(4).all()
    assert ip.upsample(torch.ones(2, 16), 2).allclose(torch.ones(2, 64))            # constants stay constant
    with pytest.raises(ValueError, match="mode"):
        ip.upsample(low, 2, image_shape=(4, 4), mode="cubic")
    candidates = torch.eye(64)
    operator = ip.MaskOperator(torch.ones(64, dtype=torch.bool))
    images, indices = ip.nearest_consistent(candidates[[5, 9]] * 0.9, operator, candidates)
    assert indices.tolist() == [5, 9] and torch.equal(images, candidates[[5, 9]])


def _tiny_diffusion(num_steps=50):
    torch.manual_seed(0)
    return diffusion.GaussianDiffusion(diffusion.MLPDenoiser(64, hidden=16, num_classes=10),
                                       diffusion.make_schedule("linear", num_steps), (64,), num_levels=17,
                                       num_classes=10)


def test_sdedit_at_t0_zero_returns_the_input_and_runs_otherwise():
    model = _tiny_diffusion()
    guide = torch.randint(0, 17, (3, 64)).float()
    assert torch.equal(ip.sdedit(model, guide, 0), guide)
    g = torch.Generator().manual_seed(3)
    for kwargs in ({}, {"num_steps": 4}, {"context": torch.tensor([1, 2, 3]), "guidance_scale": 1.0}):
        out = ip.sdedit(model, guide, 25, generator=g, **kwargs)
        assert out.shape == (3, 64) and out.min() >= 0 and out.max() <= 16
    # at a tiny t0 the edit stays near the guide; at t0 = T it is far from it
    near = ip.reconstruction_error(ip.sdedit(model, guide, 1, generator=g), guide).mean()
    far = ip.reconstruction_error(ip.sdedit(model, guide, 50, generator=g), guide).mean()
    assert near < far
    with pytest.raises(ValueError, match="0..50"):
        ip.sdedit(model, guide, 51)
    with pytest.raises(ValueError, match="at most t0 = 3"):
        ip.sdedit(model, guide, 3, num_steps=4)
    with pytest.raises(TypeError, match="GaussianDiffusion"):
        ip.sdedit(object(), guide, 1)


def test_scores_exact_values():
    truth = torch.zeros(2, 4)
    reconstruction = torch.tensor([[1.0, 1.0, 1.0, 1.0], [2.0, 0.0, 0.0, 0.0]])
    assert ip.reconstruction_error(reconstruction, truth).tolist() == [1.0, 1.0]
    torch.testing.assert_close(ip.psnr(reconstruction, truth), torch.full((2,), 20 * math.log10(16),
                                                                            dtype=torch.float64))
    mean, se = ip.mean_and_standard_error(torch.tensor([1.0, 3.0]))
    assert mean == 2.0 and se == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape of truth"):
        ip.reconstruction_error(reconstruction, torch.zeros(2, 5))
    with pytest.raises(ValueError, match="at least 2"):
        ip.mean_and_standard_error(torch.tensor([1.0]))
