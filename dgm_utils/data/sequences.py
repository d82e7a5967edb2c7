"""Sequences (chapter 1)
---------------------
:func:`load_stdlib_text` gathers docstrings from the Python standard library's source files (read with
``ast``, nothing imported), :func:`load_stdlib_code` the code of its functions (chapter 8c),
:class:`CharVocabulary` numbers their characters, :func:`sequence_blocks` cuts a long sequence into training
examples. :func:`make_waveforms` draws noisy sums of sinusoids and
:func:`quantize_signal` / :func:`levels_to_signal` map them to and from ``num_levels`` categories.
"""

import functools
import math

import torch

from dgm_utils._validation import check_count, check_int

__all__ = ["STDLIB_SKIPPED_FOLDERS", "load_stdlib_text", "load_stdlib_code", "CharVocabulary", "sequence_blocks",
           "make_waveforms", "quantize_signal", "levels_to_signal"]

# Sequences (chapter 1): text from the Python standard library and synthetic 1-D signals.
#
# ``load_stdlib_text`` gathers the docstrings of the standard library's own source files (found with
# ``sysconfig``, parsed with ``ast``, never imported, so nothing runs), a few hundred kilobytes of English
# technical prose available on every machine with Python. The text depends on the Python version (the
# docstrings change between releases) but is deterministic for a given installation and seed.
# ``CharVocabulary`` maps its characters to token ids and back, ``sequence_blocks`` cuts a long sequence
# into training examples. ``make_waveforms`` draws sums of sinusoids plus noise, and ``quantize_signal``
# turns them into ``num_levels`` categories for a WaveNet-style model.

#: Folders of the standard library whose files are skipped (test suites and third-party packages).
STDLIB_SKIPPED_FOLDERS = frozenset({"site-packages", "dist-packages", "test", "tests", "idle_test", "__pycache__"})
_DOCSTRING_SEPARATOR = "\n\n"


def _stdlib_source_files():
    """Paths of the standard library's .py files (sorted, test suites and site-packages excluded)."""
    import os
    import pathlib
    import sysconfig

    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in STDLIB_SKIPPED_FOLDERS]  # prune the walk
        files.extend(pathlib.Path(folder, name) for name in names if name.endswith(".py"))
    return sorted(files, key=lambda path: path.relative_to(root).as_posix())


def _docstrings_of_file(path):
    """The docstrings of a module's source (module, classes, functions) in source order, keeping those made
    of printable ASCII characters and newlines only."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return []
    nodes = [node for node in ast.walk(tree)
             if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))]
    nodes.sort(key=lambda node: getattr(node, "lineno", 0))
    docstrings = []
    for node in nodes:
        docstring = ast.get_docstring(node, clean=True)  # dedented, tabs expanded (inspect.cleandoc)
        if docstring:
            docstring = docstring.strip()
            if docstring and all(char == "\n" or " " <= char <= "~" for char in docstring):  # printable ASCII
                docstrings.append(docstring)
    return docstrings


def _gather_stdlib(pieces_of_file, max_chars, seed, trailing=""):
    """The pieces of the standard library's source files (``pieces_of_file(path)``), files visited in an order
    shuffled by ``seed`` until ``max_chars`` are gathered, joined by the separator and cut to ``max_chars``."""
    import random

    files = _stdlib_source_files()
    random.Random(seed).shuffle(files)
    pieces, total = [], 0
    for path in files:
        for piece in pieces_of_file(path):
            pieces.append(piece)
            total += len(piece) + len(_DOCSTRING_SEPARATOR)
        if max_chars is not None and total >= max_chars:
            break
    text = _DOCSTRING_SEPARATOR.join(pieces) + trailing
    return text if max_chars is None else text[:max_chars]


@functools.lru_cache(maxsize=8)
def _stdlib_text(max_chars, seed):
    return _gather_stdlib(_docstrings_of_file, max_chars, seed)


def load_stdlib_text(max_chars=200_000, seed=0):
    """Text made of the docstrings of Python's standard library, read from its source files.

    The source files (test suites excluded) are visited in an order shuffled by ``seed``; each file is
    parsed with ``ast`` (nothing is imported or executed) and its module, class and function docstrings
    made of printable ASCII characters and newlines are appended, separated by blank lines, until
    ``max_chars`` characters are gathered. Docstrings are cleaned as by ``inspect.cleandoc`` (dedented, tabs expanded).

    Args:
        max_chars: length of the returned text (shorter only if the library holds less); None = all of it.
        seed: seeds the order of the files, so different seeds give different (overlapping) texts.

    Returns:
        str of at most ``max_chars`` ASCII characters; the same for the same arguments on one Python.
    """
    if max_chars is not None:
        check_count(max_chars, "max_chars")
    check_int(seed, "seed")
    return _stdlib_text(max_chars, seed)


#: Functions longer than this (after their docstrings are removed) are left out of :func:`load_stdlib_code`.
MAX_FUNCTION_CHARS = 1200


def _strip_docstrings(tree):
    """Remove the docstring statement of every function and class of ``tree`` (a body left empty gets ``pass``)."""
    import ast

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]


def _functions_of_file(path):
    """The functions and methods of a module (those directly in the module or in a class body), docstrings
    removed, written by ``ast.unparse`` (one uniform style, comments dropped) without blank lines, keeping the
    printable-ASCII ones of at most ``MAX_FUNCTION_CHARS`` characters that parse again."""
    import ast

    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return []
    containers = [tree] + [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    functions = [node for container in containers for node in container.body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    functions.sort(key=lambda node: node.lineno)
    pieces = []
    for function in functions:
        _strip_docstrings(function)
        source = "\n".join(line for line in ast.unparse(function).splitlines() if line.strip())
        if len(source) > MAX_FUNCTION_CHARS or not all(char == "\n" or " " <= char <= "~" for char in source):
            continue
        try:
            ast.parse(source)
        except SyntaxError:
            continue
        pieces.append(source)
    return pieces


@functools.lru_cache(maxsize=8)
def _stdlib_code(max_chars, seed):
    return _gather_stdlib(_functions_of_file, max_chars, seed, trailing=_DOCSTRING_SEPARATOR)


def load_stdlib_code(max_chars=200_000, seed=0):
    """Python code: the functions and methods of the standard library's source files, one per paragraph.

    The source files (test suites excluded, as for :func:`load_stdlib_text`) are visited in an order shuffled
    by ``seed``; each is parsed with ``ast`` (nothing is imported or executed) and every function defined in
    the module or directly in a class is written back with ``ast.unparse`` after its docstrings are removed:
    one uniform style, no comments, no blank lines inside a function, four-space indentation. Functions are
    separated by one blank line, so a blank line marks the end of a function. Functions longer than
    ``MAX_FUNCTION_CHARS`` characters or holding characters other than printable ASCII are skipped.

    Args:
        max_chars: length of the returned text (shorter only if the library holds less); None = all of it.
        seed: seeds the order of the files.

    Returns:
        str of at most ``max_chars`` ASCII characters; the same for the same arguments on one Python (the
        functions differ between Python versions).
    """
    if max_chars is not None:
        check_count(max_chars, "max_chars")
    check_int(seed, "seed")
    return _stdlib_code(max_chars, seed)


class CharVocabulary:
    """The characters of a text, numbered 0..V-1 in sorted order, with ``encode`` and ``decode``.

    Args:
        text: the characters to number (usually the training text).

    Attributes:
        chars: the sorted distinct characters; token id i stands for ``chars[i]``.
    """

    def __init__(self, text):
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        if not text:
            raise ValueError("text must hold at least one character, got an empty string")
        self.chars = sorted(set(text))
        self._index = {char: i for i, char in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    @property
    def size(self):
        """V, the number of distinct characters."""
        return len(self.chars)

    def encode(self, text):
        """Token ids of the characters of ``text``: long tensor of shape (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        unknown = sorted(set(text) - self._index.keys())
        if unknown:
            raise ValueError(f"text holds characters outside the vocabulary: {''.join(unknown)!r}")
        return torch.tensor([self._index[char] for char in text], dtype=torch.long)

    def decode(self, ids):
        """The string of token ids (a 1-D tensor or list); a 2-D tensor gives a list of strings."""
        if isinstance(ids, torch.Tensor) and ids.dim() == 2:
            return [self.decode(row) for row in ids]
        ids = ids.tolist() if isinstance(ids, torch.Tensor) else list(ids)
        if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.chars) for i in ids):
            raise ValueError(f"ids must be integers in 0..{len(self.chars) - 1}")
        return "".join(self.chars[i] for i in ids)

    def __repr__(self):
        return f"CharVocabulary(size={self.size})"


def sequence_blocks(sequence, block_size, step=None):
    """Cut a long sequence (L,) into windows of ``block_size`` items, ``step`` apart: tensor (N, block_size).

    ``step`` defaults to ``block_size`` (non-overlapping blocks); the tail shorter than a block is dropped.
    """
    if not isinstance(sequence, torch.Tensor) or sequence.dim() != 1:
        got = tuple(sequence.shape) if isinstance(sequence, torch.Tensor) else type(sequence).__name__
        raise ValueError(f"sequence must be a 1-D tensor, got {got}")
    check_count(block_size, "block_size")
    step = block_size if step is None else step
    check_count(step, "step")
    if block_size < 1 or step < 1:
        raise ValueError(f"block_size and step must be positive, got {block_size} and {step}")
    if len(sequence) < block_size:
        raise ValueError(f"sequence of length {len(sequence)} is shorter than block_size = {block_size}")
    return sequence.unfold(0, block_size, step).clone()


def make_waveforms(n, length, seed=0, *, num_components=3, frequency_range=(0.01, 0.1), noise_std=0.05):
    """Synthetic 1-D signals: sums of sinusoids with random frequencies, amplitudes and phases, plus noise.

        x_t = sum_{c=1}^{C} a_c sin(2 pi f_c t + phi_c) + sigma eps_t,    clipped to [-1, 1],

    with f_c uniform in ``frequency_range`` (cycles per sample), phi_c uniform in [0, 2 pi), amplitudes
    uniform in [0.2, 1] rescaled so that sum_c a_c = 0.9, and eps_t ~ N(0, 1).

    Args:
        n: number of signals; length: samples per signal.
        seed: seeds every random choice (same arguments, same signals).
        num_components: C, sinusoids per signal.
        frequency_range: (f_min, f_max) with 0 < f_min <= f_max <= 0.5 (the Nyquist frequency).
        noise_std: sigma >= 0.

    Returns:
        float32 tensor (n, length) with values in [-1, 1].
    """
    check_count(n, "n")
    check_count(length, "length")
    check_count(num_components, "num_components")
    if num_components < 1:
        raise ValueError(f"num_components must be at least 1, got {num_components}")
    check_int(seed, "seed")
    low, high = (float(f) for f in frequency_range)
    if not 0 < low <= high <= 0.5:
        raise ValueError(f"frequency_range must satisfy 0 < f_min <= f_max <= 0.5, got {frequency_range!r}")
    if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float)) or not noise_std >= 0:
        raise ValueError(f"noise_std must be a non-negative number, got {noise_std!r}")
    generator = torch.Generator().manual_seed(seed)
    shape = (n, num_components, 1)
    frequencies = low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float64)
    phases = 2.0 * math.pi * torch.rand(shape, generator=generator, dtype=torch.float64)
    amplitudes = 0.2 + 0.8 * torch.rand(shape, generator=generator, dtype=torch.float64)
    amplitudes = 0.9 * amplitudes / amplitudes.sum(1, keepdim=True)
    time = torch.arange(length, dtype=torch.float64)  # (length,)
    signal = (amplitudes * torch.sin(2.0 * math.pi * frequencies * time + phases)).sum(1)  # (n, length)
    signal = signal + noise_std * torch.randn(n, length, generator=generator, dtype=torch.float64)
    return signal.clamp(-1.0, 1.0).float()


def quantize_signal(x, num_levels, low=-1.0, high=1.0):
    """Levels 0..K-1 of values in [low, high]: K equal bins, level = floor(K (x - low) / (high - low)).

    Values outside the interval go to the first or last level. Returns a long tensor shaped like ``x``.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got "
                        f"{x.dtype if isinstance(x, torch.Tensor) else type(x).__name__}")
    check_count(num_levels, "num_levels")
    if num_levels < 2 or not high > low:
        raise ValueError(f"need num_levels >= 2 and high > low, got {num_levels}, low={low}, high={high}")
    levels = torch.floor((x - low) / (high - low) * num_levels).long()
    return levels.clamp(0, num_levels - 1)


def levels_to_signal(levels, num_levels, low=-1.0, high=1.0):
    """The centres of the bins of ``quantize_signal``: low + (level + 1/2) (high - low) / K, float32."""
    if not isinstance(levels, torch.Tensor) or levels.is_floating_point() or levels.is_complex():
        raise TypeError(f"levels must be an integer tensor, got "
                        f"{levels.dtype if isinstance(levels, torch.Tensor) else type(levels).__name__}")
    check_count(num_levels, "num_levels")
    if levels.numel() and (int(levels.min()) < 0 or int(levels.max()) >= num_levels):
        raise ValueError(f"levels must lie in 0..{num_levels - 1}, got {int(levels.min())}..{int(levels.max())}")
    return (low + (levels.float() + 0.5) * (high - low) / num_levels).float()
