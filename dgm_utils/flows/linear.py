"""Linear and element-wise flow layers: permutations, LU-linear (Glow), actnorm (Glow), the logit preprocessing
of [0, 1] data (RealNVP); chapter 2."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils._validation import check_points, check_positive_int
from dgm_utils.flows._common import check_ordering
from dgm_utils.flows.base import Transform

__all__ = ["Permutation", "ReversePermutation", "RandomPermutation", "LULinear", "ActNorm", "LogitTransform"]

#: ActNorm's data-dependent initialization divides by the batch standard deviation plus this.
ACTNORM_EPS = 1e-6
#: Default squeeze of [0, 1] data before the logit: y -> alpha + (1 - 2 alpha) y keeps the logit finite.
LOGIT_ALPHA = 0.05


class Permutation(Transform):
    """z = x[:, permutation] (z_i = x_{permutation[i]}); volume preserving, logabsdet = 0."""

    def __init__(self, permutation):
        super().__init__()
        if not isinstance(permutation, torch.Tensor):
            raise TypeError(f"permutation must be a 1-D integer tensor, got {type(permutation).__name__}")
        permutation = check_ordering(permutation, len(permutation), "permutation")
        self.num_features = len(permutation)
        self.register_buffer("permutation", permutation)  # (D,)
        self.register_buffer("inverse_permutation", torch.argsort(permutation))  # (D,)

    def forward(self, x):
        check_points(x, "x", dim=self.num_features)
        return x[:, self.permutation], x.new_zeros(x.shape[0])

    def inverse(self, z):
        check_points(z, "z", dim=self.num_features)
        return z[:, self.inverse_permutation], z.new_zeros(z.shape[0])


class ReversePermutation(Permutation):
    """Reverses the order of the dimensions: z = (x_D, ..., x_1)."""

    def __init__(self, num_features):
        check_positive_int(num_features, "num_features")
        super().__init__(torch.arange(num_features - 1, -1, -1))


class RandomPermutation(Permutation):
    """A fixed random permutation of the dimensions, drawn from a generator seeded by ``seed``."""

    def __init__(self, num_features, seed=0):
        check_positive_int(num_features, "num_features")
        super().__init__(torch.randperm(num_features, generator=torch.Generator().manual_seed(seed)))


class LULinear(Transform):
    """Invertible linear map z = W x + b with W = P L U (Glow's LU-decomposed 1x1 convolution).

    P is a fixed permutation matrix, L unit lower triangular, U upper triangular with diagonal
    sign * exp(log_diag) (fixed signs), so log |det W| = sum_d log_diag_d, the same for every x.
    The inverse solves two triangular systems. W starts as a random rotation (``random_init=True``,
    seeded; mixes all dimensions) or the identity.
    """

    def __init__(self, num_features, *, random_init=True, seed=0):
        super().__init__()
        check_positive_int(num_features, "num_features")
        self.num_features = num_features
        if random_init:
            generator = torch.Generator().manual_seed(seed)
            weight = torch.linalg.qr(torch.randn(num_features, num_features, generator=generator))[0]  # (D, D)
        else:
            weight = torch.eye(num_features)
        permutation, lower, upper = torch.linalg.lu(weight)
        diag = torch.diagonal(upper)
        self.register_buffer("permutation_matrix", permutation)  # (D, D)
        self.register_buffer("sign_diag", torch.sign(diag))  # (D,)
        self.lower = nn.Parameter(torch.tril(lower, -1))  # only the strictly lower part is used
        self.upper = nn.Parameter(torch.triu(upper, 1))  # only the strictly upper part is used
        self.log_diag = nn.Parameter(torch.log(diag.abs()))  # (D,)
        self.bias = nn.Parameter(torch.zeros(num_features))  # (D,)

    def _lower_upper(self):
        eye = torch.eye(self.num_features, device=self.lower.device, dtype=self.lower.dtype)
        lower = torch.tril(self.lower, -1) + eye
        upper = torch.triu(self.upper, 1) + torch.diag(self.sign_diag * torch.exp(self.log_diag))
        return lower, upper

    def weight(self):
        """W = P L U, shape (D, D)."""
        lower, upper = self._lower_upper()
        return self.permutation_matrix @ lower @ upper

    def forward(self, x):
        check_points(x, "x", dim=self.num_features)
        z = x @ self.weight().T + self.bias  # (N, D)
        return z, self.log_diag.sum().expand(x.shape[0])

    def inverse(self, z):
        check_points(z, "z", dim=self.num_features)
        lower, upper = self._lower_upper()
        y = self.permutation_matrix.T @ (z - self.bias).T  # (D, N): L U x = P^T (z - b)
        y = torch.linalg.solve_triangular(lower, y, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(upper, y, upper=True)  # (D, N)
        return x.T, -self.log_diag.sum().expand(z.shape[0])


class ActNorm(Transform):
    """Activation normalization (Glow): z = (x - loc) * exp(-log_scale) per dimension.

    log |det dz/dx| = -sum_d log_scale_d. Data-dependent initialization: the first forward call in
    training mode sets loc and log_scale to the batch mean and log standard deviation, so that batch
    leaves with zero mean and unit variance in every dimension; the buffer ``initialized`` records it.
    """

    def __init__(self, num_features):
        super().__init__()
        check_positive_int(num_features, "num_features")
        self.num_features = num_features
        self.loc = nn.Parameter(torch.zeros(num_features))  # (D,)
        self.log_scale = nn.Parameter(torch.zeros(num_features))  # (D,)
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def _initialize(self, x):
        self.loc.copy_(x.mean(0))
        std = x.std(0, unbiased=False) if x.shape[0] > 1 else torch.ones_like(x[0])
        self.log_scale.copy_(torch.log(std + ACTNORM_EPS))
        self.initialized.fill_(True)

    def forward(self, x):
        check_points(x, "x", dim=self.num_features)
        if self.training and not bool(self.initialized):
            self._initialize(x)
        z = (x - self.loc) * torch.exp(-self.log_scale)  # (N, D)
        return z, -self.log_scale.sum().expand(x.shape[0])

    def inverse(self, z):
        check_points(z, "z", dim=self.num_features)
        x = z * torch.exp(self.log_scale) + self.loc  # (N, D)
        return x, self.log_scale.sum().expand(z.shape[0])


class LogitTransform(Transform):
    """Logit of squeezed [0, 1] data: z = logit(alpha + (1 - 2 alpha) x) (RealNVP's preprocessing).

    With s = alpha + (1 - 2 alpha) x:  log |det dz/dx| = sum_d [log(1 - 2 alpha) - log s_d - log(1 - s_d)].
    The inverse is x = (sigmoid(z) - alpha) / (1 - 2 alpha). ``num_features`` (optional) enables the
    shape check; x outside [0, 1] raises ValueError.
    """

    def __init__(self, num_features=None, alpha=LOGIT_ALPHA):
        super().__init__()
        if num_features is not None:
            check_positive_int(num_features, "num_features")
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 0.5:
            raise ValueError(f"alpha must be a number in [0, 0.5), got {alpha!r}")
        self.num_features, self.alpha = num_features, float(alpha)

    def _check(self, x, name):
        check_points(x, name, dim=self.num_features or (x.shape[-1] if isinstance(x, torch.Tensor) and x.dim() else 1))

    def forward(self, x):
        self._check(x, "x")
        if x.numel() and not bool(((x >= 0) & (x <= 1)).all()):
            raise ValueError(f"x must lie in [0, 1] for the logit transform, got values in "
                             f"[{float(x.min()):.3g}, {float(x.max()):.3g}]")
        s = self.alpha + (1 - 2 * self.alpha) * x  # (N, D)
        z = torch.log(s) - torch.log1p(-s)
        logabsdet = (math.log(1 - 2 * self.alpha) - torch.log(s) - torch.log1p(-s)).sum(1)
        return z, logabsdet

    def inverse(self, z):
        self._check(z, "z")
        x = (torch.sigmoid(z) - self.alpha) / (1 - 2 * self.alpha)  # (N, D)
        logabsdet = (F.logsigmoid(z) + F.logsigmoid(-z) - math.log(1 - 2 * self.alpha)).sum(1)
        return x, logabsdet


