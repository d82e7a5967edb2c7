"""Linear inverse problems on the 8x8 digits (chapter 8a): forward models, non-generative baselines, SDEdit, scores.

A measurement is y = A x + noise of a flattened image x (N, D), D = H * W. Each operator A is a small linear map
with its ``forward(x)`` (N, D) -> (N, M) and its ``adjoint(y)`` (N, M) -> (N, D), the transpose, so that
<A x, y> = <x, A^T y> for all x, y (tested); ``matrix()`` gives A as a dense (M, D) tensor, built by applying
``forward`` to the identity. The likelihood p(y | x) = N(y; A x, sigma^2 I) is then one line of code.

* :class:`MaskOperator` keeps the pixels where a mask (D,) is True (inpainting);
* :class:`AveragePoolOperator` averages ``factor`` x ``factor`` blocks (super-resolution: 8x8 -> 4x4 at factor 2);
* :class:`ProjectionOperator` sums the pixels along lines (``"rows"``, ``"columns"``, ``"diagonals"``,
  ``"antidiagonals"``): the line integrals of discrete tomography, a few views of the image.

Non-generative baselines: :func:`least_squares` (minimum-norm, or Tikhonov-regularized towards a prior mean),
:func:`harmonic_inpaint` (each missing pixel the average of its four neighbours: the discrete Laplace equation),
:func:`upsample` (``torch.nn.functional.interpolate``), :func:`nearest_consistent` (the training image whose
measurement is nearest to y). Generative: the diffusion samplers of ``dgm_utils.diffusion.inverse`` and
:func:`sdedit` (Meng et al. 2022: noise a sketch to an intermediate step t0, denoise it from there).
Scores: :func:`reconstruction_error` (per-image MSE), :func:`psnr`, :func:`mean_and_standard_error`.
"""

import math

import torch
from torch.nn import functional

from dgm_utils._validation import check_generator, check_int, check_number, check_points, check_sizes, check_tensor
from dgm_utils.diffusion import GaussianDiffusion, ddim_steps

__all__ = ["LinearOperator", "MaskOperator", "AveragePoolOperator", "ProjectionOperator", "PROJECTION_DIRECTIONS",
           "least_squares", "harmonic_inpaint", "upsample", "nearest_consistent", "sdedit", "reconstruction_error",
           "psnr", "mean_and_standard_error"]

#: The line directions of :class:`ProjectionOperator`: the lines of constant row, column, row - column, row + column.
PROJECTION_DIRECTIONS = ("rows", "columns", "diagonals", "antidiagonals")
#: The brightest level of the digits: the peak value of :func:`psnr` by default.
MAX_LEVEL = 16.0


class LinearOperator:
    """A linear map A of flattened images (N, D) to measurements (N, M); subclasses give ``_forward``/``_adjoint``."""

    def __init__(self, input_size, output_size):
        self.input_size = check_int(input_size, "input_size", minimum=1)
        self.output_size = check_int(output_size, "output_size", minimum=1)

    def forward(self, x):
        """A x: (N, D) -> (N, M), any floating dtype, differentiable."""
        check_points(x, "x", dim=self.input_size)
        return self._forward(x)

    def adjoint(self, y):
        """A^T y: (N, M) -> (N, D), the transpose: <A x, y> = <x, A^T y>."""
        check_points(y, "y", dim=self.output_size)
        return self._adjoint(y)

    __call__ = forward

    def matrix(self, dtype=torch.float64):
        """A as a dense (M, D) tensor (the images of the unit vectors, as columns)."""
        return self.forward(torch.eye(self.input_size, dtype=dtype)).T.contiguous()

    def __repr__(self):
        return f"{type(self).__name__}({self.input_size} -> {self.output_size})"


class MaskOperator(LinearOperator):
    """The observed pixels x[mask] of images (N, D), for a bool ``mask`` of D entries (any shape, flattened) with at
    least one True; the adjoint puts y back in place and zeros elsewhere."""

    def __init__(self, mask):
        check_tensor(mask, "mask", floating=False)
        if mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool tensor (True where a pixel is observed), got dtype {mask.dtype}")
        if not bool(mask.any()):
            raise ValueError("mask must observe at least one pixel (all entries are False)")
        self.mask = mask.reshape(-1).clone()
        self.indices = self.mask.nonzero().squeeze(1)  # (M,)
        super().__init__(self.mask.numel(), len(self.indices))

    def _forward(self, x):
        return x[:, self.indices.to(x.device)]

    def _adjoint(self, y):
        out = y.new_zeros(y.shape[0], self.input_size)
        return out.index_copy(1, self.indices.to(y.device), y)


class AveragePoolOperator(LinearOperator):
    """The means of ``factor`` x ``factor`` blocks of images (N, H * W) of shape ``image_shape`` (H and W multiples of
    the factor): (N, H/f * W/f). The adjoint spreads each value over its block, divided by f^2."""

    def __init__(self, factor, image_shape=(8, 8)):
        self.factor = check_int(factor, "factor", minimum=1)
        self.image_shape = check_sizes(image_shape, "image_shape")
        if len(self.image_shape) != 2 or any(side % self.factor for side in self.image_shape):
            raise ValueError(f"image_shape must be (H, W) with H and W multiples of factor {factor}, got "
                             f"{image_shape!r}")
        self.low_shape = tuple(side // self.factor for side in self.image_shape)
        super().__init__(math.prod(self.image_shape), math.prod(self.low_shape))

    def _forward(self, x):
        images = x.reshape(x.shape[0], 1, *self.image_shape)                        # (N, 1, H, W)
        return functional.avg_pool2d(images, self.factor).reshape(x.shape[0], -1)   # (N, H/f * W/f)

    def _adjoint(self, y):
        low = y.reshape(y.shape[0], 1, *self.low_shape)
        spread = low.repeat_interleave(self.factor, 2).repeat_interleave(self.factor, 3) / self.factor ** 2
        return spread.reshape(y.shape[0], -1)


class ProjectionOperator(LinearOperator):
    """Line sums of images (N, H * W) of shape ``image_shape`` along each of ``directions`` (a subset of
    ``PROJECTION_DIRECTIONS``, in the given order): H sums per ``"rows"``, W per ``"columns"``, H + W - 1 per
    ``"diagonals"`` (constant row - column) and ``"antidiagonals"`` (constant row + column). A 0/1 matrix."""

    def __init__(self, image_shape=(8, 8), directions=("rows", "columns")):
        self.image_shape = check_sizes(image_shape, "image_shape")
        if len(self.image_shape) != 2:
            raise ValueError(f"image_shape must be (H, W), got {image_shape!r}")
        if isinstance(directions, str) or not directions:
            raise TypeError(f"directions must be a non-empty sequence of names from {PROJECTION_DIRECTIONS}, got "
                            f"{directions!r}")
        unknown = [d for d in directions if d not in PROJECTION_DIRECTIONS]
        if unknown or len(set(directions)) != len(directions):
            raise ValueError(f"directions must be distinct names from {PROJECTION_DIRECTIONS}, got {directions!r}")
        self.directions = tuple(directions)
        height, width = self.image_shape
        row, column = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
        line_of = {"rows": row, "columns": column, "diagonals": row - column + width - 1,
                   "antidiagonals": row + column}
        count = {"rows": height, "columns": width, "diagonals": height + width - 1, "antidiagonals": height + width - 1}
        blocks = [functional.one_hot(line_of[d].reshape(-1), count[d]).T for d in self.directions]  # (lines, D) each
        self._matrix = torch.cat(blocks).double()                                                   # (M, D)
        super().__init__(height * width, self._matrix.shape[0])

    def _forward(self, x):
        return x @ self._matrix.to(x.device, x.dtype).T

    def _adjoint(self, y):
        return y @ self._matrix.to(y.device, y.dtype)


def _check_operator(operator):
    if not isinstance(operator, LinearOperator):
        raise TypeError(f"operator must be a LinearOperator (MaskOperator, AveragePoolOperator, ProjectionOperator), "
                        f"got {type(operator).__name__}")
    return operator


def least_squares(y, operator, *, regularization=0.0, prior_mean=None):
    """argmin_x |A x - y|^2 + lambda |x - m|^2 for measurements y (N, M), float64 (N, D).

    With ``regularization`` lambda = 0 it is the minimum-norm least-squares solution m + A^+ (y - A m) (the
    pseudo-inverse, exact recovery when A has full column rank and y = A x); with lambda > 0, Tikhonov's
    m + (A^T A + lambda I)^{-1} A^T (y - A m). ``prior_mean`` m (D,) is 0 by default (e.g. the mean image).
    """
    _check_operator(operator)
    check_points(y, "y", dim=operator.output_size)
    lam = check_number(regularization, "regularization", allow_zero=True)
    mean = torch.zeros(operator.input_size, dtype=torch.float64)
    if prior_mean is not None:
        check_tensor(prior_mean, "prior_mean")
        if prior_mean.shape != (operator.input_size,):
            raise ValueError(f"prior_mean must have shape ({operator.input_size},), got {tuple(prior_mean.shape)}")
        mean = prior_mean.double()
    matrix = operator.matrix()                                                       # (M, D)
    residual = y.double() - mean @ matrix.T                                          # (N, M)
    if lam == 0:
        return mean + residual @ torch.linalg.pinv(matrix).T
    normal = matrix.T @ matrix + lam * torch.eye(operator.input_size, dtype=torch.float64)
    return mean + torch.linalg.solve(normal, matrix.T @ residual.T).T


def harmonic_inpaint(observed, mask, image_shape=(8, 8)):
    """Fill the pixels of ``observed`` (N, D) where ``mask`` (bool, (D,) or (N, D)) is False so that each is the mean
    of its 4-neighbours (the discrete Laplace equation, the smoothest fill); observed pixels are kept. float64."""
    image_shape = check_sizes(image_shape, "image_shape")
    size = math.prod(image_shape)
    check_points(observed, "observed", dim=size)
    check_tensor(mask, "mask", floating=False)
    if mask.dtype != torch.bool or mask.shape not in ((size,), tuple(observed.shape)):
        raise ValueError(f"mask must be a bool tensor of shape ({size},) or {tuple(observed.shape)}, got "
                         f"{mask.dtype} {tuple(mask.shape)}")
    masks = mask.expand(observed.shape[0], size)
    if not bool(masks.any(dim=1).all()):
        raise ValueError("every image needs at least one observed pixel to inpaint from")
    height, width = image_shape
    index = torch.arange(size).reshape(height, width)
    adjacency = torch.zeros(size, size, dtype=torch.float64)
    for a, b in ((index[1:], index[:-1]), (index[:, 1:], index[:, :-1])):
        adjacency[a.reshape(-1), b.reshape(-1)] = adjacency[b.reshape(-1), a.reshape(-1)] = 1.0
    laplacian = torch.diag(adjacency.sum(1)) - adjacency                             # (D, D), grid graph
    filled = observed.double().clone()
    for i in range(observed.shape[0]):
        known, unknown = masks[i], ~masks[i]
        if unknown.any():
            right = -laplacian[unknown][:, known] @ filled[i, known]
            filled[i, unknown] = torch.linalg.solve(laplacian[unknown][:, unknown], right)
    return filled


def upsample(low, factor, image_shape=(8, 8), mode="bicubic"):
    """Interpolate low-resolution images (N, H/f * W/f) to (N, H * W) with ``torch.nn.functional.interpolate``
    (``mode`` "nearest", "bilinear" or "bicubic"; align_corners=False for the last two)."""
    factor = check_int(factor, "factor", minimum=1)
    height, width = check_sizes(image_shape, "image_shape")
    if height % factor or width % factor:
        raise ValueError(f"image_shape {image_shape!r} must be multiples of factor {factor}")
    check_points(low, "low", dim=(height // factor) * (width // factor))
    if mode not in ("nearest", "bilinear", "bicubic"):
        raise ValueError(f"mode must be 'nearest', 'bilinear' or 'bicubic', got {mode!r}")
    images = low.reshape(low.shape[0], 1, height // factor, width // factor)
    extra = {} if mode == "nearest" else {"align_corners": False}
    return functional.interpolate(images, size=(height, width), mode=mode, **extra).reshape(low.shape[0], -1)


def nearest_consistent(y, operator, candidates):
    """For each measurement y (N, M), the candidate image (K, D) whose measurement A c is nearest to it in Euclidean
    distance (a nearest-neighbour baseline): returns (images (N, D), indices (N,))."""
    _check_operator(operator)
    check_points(y, "y", dim=operator.output_size)
    check_points(candidates, "candidates", dim=operator.input_size, min_rows=1)
    measured = operator.forward(candidates.double())                                 # (K, M)
    indices = torch.cdist(y.double(), measured).argmin(dim=1)                        # (N,)
    return candidates[indices], indices


@torch.no_grad()
def sdedit(model, sketch, t0, *, num_steps=None, generator=None, context=None, guidance_scale=0.0):
    """SDEdit (Meng et al. 2022): x_t0 = sqrt(alpha_bar_t0) x_sketch + sqrt(1 - alpha_bar_t0) eps, then denoised to
    step 0; returns (N, *data_shape) in data space. t0 = 0 returns the sketch itself (quantized to the model's levels).

    Args:
        model: a :class:`dgm_utils.diffusion.GaussianDiffusion`.
        sketch: the guide images to edit (N, *data_shape), in data space (levels 0..K-1 may be fractional).
        t0: the step 0..T to noise to: small keeps the sketch, T forgets it.
        num_steps: None for the ancestral sampler on every step t0..1, else that many DDIM steps (eta = 0) from t0.
        generator, context, guidance_scale: as for ``model.sample``.
    """
    if not isinstance(model, GaussianDiffusion):
        raise TypeError(f"model must be a GaussianDiffusion, got {type(model).__name__}")
    check_generator(generator)
    t0 = check_int(t0, "t0", minimum=0)
    if t0 > model.num_steps:
        raise ValueError(f"t0 must be a step in 0..{model.num_steps} (the model's T), got {t0}")
    x = model.to_model_space(sketch, "sketch")
    n = x.shape[0]
    labels = model.context_labels(context, n)
    if t0 == 0:
        return model.to_data_space(x)
    x = model.q_sample(x, t0, generator=generator)
    if num_steps is None:
        for t in range(t0, 0, -1):
            x = model.p_sample(x, t, generator=generator, context=context, guidance_scale=guidance_scale)
    else:
        num_steps = check_int(num_steps, "num_steps", minimum=1)
        if num_steps > t0:
            raise ValueError(f"num_steps must be at most t0 = {t0} (one DDIM step per step at most), got {num_steps}")
        steps = ddim_steps(num_steps, t0).tolist()
        for t, t_prev in zip(steps[:-1], steps[1:]):
            eps = model.noise_prediction(x, t / model.num_steps, labels, guidance_scale)
            x = model.ddim_step(x, t, t_prev, eps)
    return model.to_data_space(x)


def reconstruction_error(reconstruction, truth):
    """Per-image mean squared error over the pixels, float64 (N,), of two (N, D) tensors of the same shape."""
    check_points(reconstruction, "reconstruction")
    check_points(truth, "truth")
    if reconstruction.shape != truth.shape:
        raise ValueError(f"reconstruction must have the shape of truth {tuple(truth.shape)}, got "
                         f"{tuple(reconstruction.shape)}")
    return ((reconstruction.double() - truth.double()) ** 2).mean(dim=1)


def psnr(reconstruction, truth, max_value=MAX_LEVEL):
    """Per-image peak signal-to-noise ratio 10 log10(max_value^2 / MSE) in dB, float64 (N,) (inf for an exact one)."""
    peak = check_number(max_value, "max_value")
    return 10.0 * torch.log10(peak ** 2 / reconstruction_error(reconstruction, truth))


def mean_and_standard_error(values):
    """(mean, standard error of the mean) of per-image values (N,), N >= 2, as floats (SE = std / sqrt(N))."""
    check_tensor(values, "values", dims=(1,))
    if values.numel() < 2:
        raise ValueError(f"values needs at least 2 entries for a standard error, got {values.numel()}")
    values = values.double()
    return float(values.mean()), float(values.std() / math.sqrt(values.numel()))
