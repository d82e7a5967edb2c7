"""Data with known truth: 2-D toy distributions with exact densities, and the 8x8 digits.

Toy distributions (chapter 0 onwards; ``toys.py``)
-------------------------------------------------
Every toy is a :class:`ToyDistribution` over the plane with an **exact** ``log_prob`` and an exact
sampler. Knowing the true density p turns a model's negative log-likelihood into a distance: for any
model q,

    NLL(q) = E_p[-log q(x)] = H(p) + KL(p || q),      so      NLL(q) - H(p) = KL(p || q) >= 0.

The entropy H(p) is the physical limit no model can beat, and the gap to it (``dgm_utils.metrics.kl_gap``)
says how far a trained model still is from the truth, in nats. Without an exact density we could only
compare models with each other.

The toys:

* :func:`ring` -- ``num_components`` equal Gaussians evenly spaced on a circle (a multimodal density
  with holes between the modes; models that cannot put mass apart smear it over the ring).
* :func:`grid` -- a ``size x size`` lattice of equal Gaussians (many well separated modes).
* :class:`Checkerboard` -- the uniform distribution on the dark squares of a checkerboard: constant
  density inside, zero outside, sharp edges. ``log_prob`` is ``-log(support area)`` on the support
  and ``-inf`` off it, and the entropy is exactly ``log(support area)``.
* :class:`Banana` -- a Gaussian bent by the volume-preserving bijection
  ``x1 = z1, x2 = z2 + curvature * (z1^2 - std1^2)``; its density follows from the change of
  variables with a unit Jacobian, and its entropy equals that of the Gaussian.
* :class:`GaussianMixture2D` -- any diagonal Gaussian mixture in the plane (the ring and the grid
  are instances); its density is computed by ``dgm_utils.distributions.mixture_log_prob``.

``make_toy(name, **kwargs)`` builds a toy by name (``TOY_DISTRIBUTIONS`` lists them). Every toy has
``bounds``, a box holding essentially all of its mass, used for heat maps and grid integration.

Digits (``digits.py``)
----------------------
:func:`load_digits` returns scikit-learn's 8x8 handwritten digits (1797 images shipped inside the
package, nothing is downloaded) with 17 intensity levels 0..16, in the fixed split
train = first 1000, validation = next 350, test = last 447 images (the split of J. Tomczak's
``intro_dgm``, so numbers can be compared), optionally binarized at ``BINARIZE_THRESHOLD``.

Sequences (chapter 1; ``sequences.py``)
---------------------------------------
:func:`load_stdlib_text` gathers docstrings from the Python standard library's source files (read with
``ast``, nothing imported), :class:`CharVocabulary` numbers their characters, :func:`sequence_blocks` cuts
a long sequence into training examples. :func:`make_waveforms` draws noisy sums of sinusoids and
:func:`quantize_signal` / :func:`levels_to_signal` map them to and from ``num_levels`` categories.
"""

from dgm_utils.data.digits import (BINARIZE_THRESHOLD, IMAGE_SHAPE, NUM_LEVELS, SPLITS, load_digit_labels,
                                   load_digits)
from dgm_utils.data.sequences import (STDLIB_SKIPPED_FOLDERS, CharVocabulary, levels_to_signal, load_stdlib_text,
                                      make_waveforms, quantize_signal, sequence_blocks)
from dgm_utils.data.toys import (TOY_DISTRIBUTIONS, Banana, Checkerboard, GaussianMixture2D, ToyDistribution, grid,
                                 make_toy, ring)

__all__ = [
    "ToyDistribution",
    "GaussianMixture2D",
    "ring",
    "grid",
    "Checkerboard",
    "Banana",
    "TOY_DISTRIBUTIONS",
    "make_toy",
    "NUM_LEVELS",
    "IMAGE_SHAPE",
    "SPLITS",
    "BINARIZE_THRESHOLD",
    "load_digits",
    "load_digit_labels",
    "STDLIB_SKIPPED_FOLDERS",
    "load_stdlib_text",
    "CharVocabulary",
    "sequence_blocks",
    "make_waveforms",
    "quantize_signal",
    "levels_to_signal",
]
