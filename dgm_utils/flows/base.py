"""The flow interface and its combinators (chapter 2).

Direction convention (nflows' habit; kept everywhere in the course):

* ``z, logabsdet = transform(x)`` maps DATA -> NOISE with ``logabsdet = log |det dz/dx|``, shape (N,);
* ``x, logabsdet = transform.inverse(z)`` maps NOISE -> DATA with ``logabsdet = log |det dx/dz|``
  (minus the forward one at the matching point).
"""

from torch import nn

from dgm_utils.base import MethodNotAvailable

__all__ = ["InverseNotAvailable", "Transform", "CompositeTransform", "InverseTransform"]


class InverseNotAvailable(MethodNotAvailable):
    """Raised by ``Transform.inverse`` when a transform has no (tractable) inverse."""


class Transform(nn.Module):
    """An invertible map with a tractable Jacobian determinant (base class).

    ``forward(x) -> (z, logabsdet)`` maps data -> noise, logabsdet = log |det dz/dx| of shape (N,);
    ``inverse(z) -> (x, logabsdet)`` maps noise -> data, logabsdet = log |det dx/dz|.
    Subclasses set ``num_features`` (the dimension D) where it is known.
    """

    num_features = None

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x) -> (z, logabsdet)")

    def inverse(self, z):
        raise InverseNotAvailable(f"{type(self).__name__} has no inverse: it only maps data to noise "
                                  "(forward); sampling through it is not possible")


class CompositeTransform(Transform):
    """f = f_K o ... o f_1: ``forward`` applies ``transforms`` in order and sums their log-determinants,

        z = f_K(...f_1(x)),   log |det dz/dx| = sum_k log |det df_k/dh_{k-1}|,

    and ``inverse`` applies the inverses in reverse order.
    """

    def __init__(self, transforms):
        super().__init__()
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not isinstance(t, Transform):
                raise TypeError(f"transforms[{i}] must be a dgm_utils.flows.Transform, got {type(t).__name__}")
        self.transforms = nn.ModuleList(transforms)
        sizes = {t.num_features for t in transforms if t.num_features is not None}
        if len(sizes) > 1:
            raise ValueError(f"all transforms must have the same num_features, got {sorted(sizes)}")
        self.num_features = sizes.pop() if sizes else None

    def forward(self, x):
        logabsdet = x.new_zeros(x.shape[0])  # (N,)
        for t in self.transforms:
            x, step_logabsdet = t(x)
            logabsdet = logabsdet + step_logabsdet
        return x, logabsdet

    def inverse(self, z):
        logabsdet = z.new_zeros(z.shape[0])  # (N,)
        for t in reversed(self.transforms):
            z, step_logabsdet = t.inverse(z)
            logabsdet = logabsdet + step_logabsdet
        return z, logabsdet

    def forward_with_intermediates(self, x):
        """``[x, f_1(x), f_2(f_1(x)), ..., z]``: the input followed by the output of every layer (K + 1 tensors)."""
        outputs = [x]
        for t in self.transforms:
            outputs.append(t(outputs[-1])[0])
        return outputs


class InverseTransform(Transform):
    """f^{-1} as a transform: ``forward`` is ``transform.inverse`` and ``inverse`` is ``transform.forward``."""

    def __init__(self, transform):
        super().__init__()
        if not isinstance(transform, Transform):
            raise TypeError(f"transform must be a dgm_utils.flows.Transform, got {type(transform).__name__}")
        self.transform = transform
        self.num_features = transform.num_features

    def forward(self, x):
        return self.transform.inverse(x)

    def inverse(self, z):
        return self.transform(z)


