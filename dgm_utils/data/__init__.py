"""Data with known truth: 2-D toy distributions with exact densities, and the 8x8 digits.

Toy distributions (chapter 0 onwards; ``toys.py``)
-------------------------------------------------
Every toy is a :class:`ToyDistribution` over the plane with an **exact** ``log_prob`` and an exact sampler
(ring, grid, checkerboard, banana, any 2-D Gaussian mixture; :class:`UniformBox` is the uniform density on a box, a
reference density such as a noise for NCE, as is :func:`box_gaussian`), so a model's NLL minus the entropy H(p) is its
KL divergence to the truth (``dgm_utils.metrics.kl_gap``). ``make_toy(name, **kwargs)`` builds one by name
(``TOY_DISTRIBUTIONS`` lists them); see ``toys.py`` for each density.

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

Molecule-like strings (chapter 8c; ``grammar.py``)
--------------------------------------------------
:func:`make_molecules` writes random molecule-like graphs in a small SMILES-like grammar (atoms C/N/O/F with their
valences, ``=`` double bonds, branches, ring-closure digits); :func:`is_valid_molecule` checks a string with an
independent parser; :func:`load_stdlib_code` (``sequences.py``) gives Python functions of the standard library.

Behaviour (chapter 7; ``behaviour.py``)
--------------------------------------
:class:`ObstacleCourse` is a known expert that passes a round obstacle on the left or on the right (one side per
episode, probability 1/2 each) on its way to a goal; :func:`make_behaviour_dataset` records its (observation, action)
pairs, and :meth:`ObstacleCourse.rollout` runs any policy in closed loop and measures its success and collision rates.
"""

from dgm_utils.data.behaviour import (MAX_ACTION_SCALE, BehaviourData, ObstacleCourse, Rollout,
                                      make_behaviour_dataset)
from dgm_utils.data.digits import (BINARIZE_THRESHOLD, IMAGE_SHAPE, NUM_LEVELS, SPLITS, load_digit_labels,
                                   load_digits)
from dgm_utils.data.grammar import ATOM_VALENCES, RING_DIGITS, is_valid_molecule, make_molecules, molecule_bonds
from dgm_utils.data.sequences import (STDLIB_SKIPPED_FOLDERS, CharVocabulary, levels_to_signal, load_stdlib_code,
                                      load_stdlib_text, make_waveforms, quantize_signal, sequence_blocks)
from dgm_utils.data.toys import (TOY_DISTRIBUTIONS, Banana, Checkerboard, GaussianMixture2D, ToyDistribution,
                                 UniformBox, box_gaussian, grid, make_toy, ring)

__all__ = [
    "ToyDistribution",
    "GaussianMixture2D",
    "ring",
    "grid",
    "Checkerboard",
    "Banana",
    "UniformBox",
    "box_gaussian",
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
    "ObstacleCourse",
    "Rollout",
    "BehaviourData",
    "make_behaviour_dataset",
    "MAX_ACTION_SCALE",
    "load_stdlib_code",
    "ATOM_VALENCES",
    "RING_DIGITS",
    "make_molecules",
    "is_valid_molecule",
    "molecule_bonds",
]
