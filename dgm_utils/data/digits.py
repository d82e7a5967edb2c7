""":func:`load_digits` returns scikit-learn's 8x8 handwritten digits (1797 images shipped inside the
package, nothing is downloaded) with 17 intensity levels 0..16, in the fixed split
train = first 1000, validation = next 350, test = last 447 images (the split of J. Tomczak's
``intro_dgm``, so numbers can be compared), optionally binarized at ``BINARIZE_THRESHOLD``.
"""

import functools

import torch

__all__ = ["NUM_LEVELS", "IMAGE_SHAPE", "SPLITS", "BINARIZE_THRESHOLD", "load_digits", "load_digit_labels"]

NUM_LEVELS = 17
IMAGE_SHAPE = (8, 8)
SPLITS = {"train": slice(0, 1000), "val": slice(1000, 1350), "test": slice(1350, 1797)}
BINARIZE_THRESHOLD = 8


@functools.lru_cache(maxsize=1)
def _digits_arrays():
    """The 1797 images (1797, 64) as uint8 0..16 and their labels (1797,), read-only, loaded once."""
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    images = bunch.data.astype("uint8")
    labels = bunch.target.astype("int64")
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _split_slice(split):
    if not isinstance(split, str) or split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(repr(s) for s in SPLITS)}, got {split!r}")
    return SPLITS[split]


def load_digits(split="train", *, binarize=False, dtype=torch.float32):
    """The scikit-learn 8x8 digits of one split, flattened: tensor of shape (N, 64).

    Args:
        split: ``"train"`` (1000 images), ``"val"`` (350) or ``"test"`` (447); see ``SPLITS``.
        binarize: if True return 0/1 pixels, 1 where the intensity is >= ``BINARIZE_THRESHOLD``.
        dtype: floating-point or integer dtype of the result (``torch.long`` for categorical models;
            ``torch.bool`` only with ``binarize``).

    Returns:
        Integer values 0..16 (``NUM_LEVELS`` levels) or 0/1, stored in ``dtype``. Every call returns a
        fresh tensor, so modifying it in place does not change later calls.
    """
    split_slice = _split_slice(split)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype, got {type(dtype).__name__}")
    if dtype.is_complex or (dtype == torch.bool and not binarize):
        raise ValueError(f"dtype must be a real floating-point or integer dtype (bool only with binarize), got {dtype}")
    images = torch.from_numpy(_digits_arrays()[0][split_slice].copy())  # (N, 64) uint8
    if binarize:
        images = images >= BINARIZE_THRESHOLD
    return images.to(dtype)


def load_digit_labels(split="train"):
    """The class labels 0..9 of the images ``load_digits(split)`` returns, int64 tensor of shape (N,)."""
    return torch.from_numpy(_digits_arrays()[1][_split_slice(split)].copy())

