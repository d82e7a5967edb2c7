"""dgm_utils.data, sequence sources: standard-library text, the character vocabulary, waveforms, quantization."""

import math

import pytest
import torch

from dgm_utils import data
from dgm_utils.data import sequences

PRINTABLE = set(chr(code) for code in range(32, 127)) | {"\n"}


# ----------------------------------------------------------------------------------------------------
# Text


def test_stdlib_text_has_the_requested_length_and_printable_ascii_only():
    text = data.load_stdlib_text(max_chars=5000, seed=0)
    assert isinstance(text, str) and len(text) == 5000
    assert set(text) <= PRINTABLE
    assert "\t" not in text and "\n\n" in text  # docstrings are separated by blank lines


def test_stdlib_text_is_deterministic_and_depends_on_the_seed():
    first = data.load_stdlib_text(max_chars=3000, seed=1)
    sequences._stdlib_text.cache_clear()  # recompute from the files, not from the cache
    assert data.load_stdlib_text(max_chars=3000, seed=1) == first
    assert data.load_stdlib_text(max_chars=3000, seed=2) != first


def test_stdlib_text_prefix_property():
    """A shorter text with the same seed is a prefix of a longer one (the files are visited in one order)."""
    short = data.load_stdlib_text(max_chars=1000, seed=3)
    long = data.load_stdlib_text(max_chars=4000, seed=3)
    assert long.startswith(short)


def test_docstrings_are_read_without_executing_the_file(tmp_path):
    marker = tmp_path / "executed.txt"
    source = tmp_path / "module.py"
    source.write_text(
        '"""Module docstring.\n\nColumns:\ta\tb"""\n'
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "class Thing:\n"
        '    """Class docstring."""\n'
        "    def method(self):\n"
        '        """Caf\\u00e9 is not ASCII, so this one is skipped."""\n'
        "async def later():\n"
        '    """Async function docstring."""\n',
        encoding="utf-8")
    docstrings = sequences._docstrings_of_file(source)
    assert docstrings == ["Module docstring.\n\n" + "Columns:\ta\tb".expandtabs(), "Class docstring.",
                          "Async function docstring."]
    assert not marker.exists()
    broken = tmp_path / "broken.py"
    broken.write_text("def oops(:\n", encoding="utf-8")
    assert sequences._docstrings_of_file(broken) == []


def test_stdlib_files_exclude_test_suites():
    files = sequences._stdlib_source_files()
    assert len(files) > 100
    assert not any(data.STDLIB_SKIPPED_FOLDERS.intersection(path.parts[-4:-1]) for path in files)


def test_stdlib_text_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_chars"):
        data.load_stdlib_text(max_chars=-1)
    with pytest.raises(TypeError, match="max_chars"):
        data.load_stdlib_text(max_chars=10.5)
    with pytest.raises(TypeError, match="seed"):
        data.load_stdlib_text(max_chars=10, seed="0")


def test_char_vocabulary_round_trip():
    vocabulary = data.CharVocabulary("hello world\n")
    assert vocabulary.chars == sorted(set("hello world\n")) and len(vocabulary) == vocabulary.size == 9
    ids = vocabulary.encode("world hello")
    assert ids.dtype == torch.long and ids.shape == (11,)
    assert ids[0] == vocabulary.chars.index("w")
    assert vocabulary.decode(ids) == "world hello"
    assert vocabulary.decode(ids.tolist()) == "world hello"
    assert vocabulary.decode(torch.stack([ids, ids.flip(0)])) == ["world hello", "olleh dlrow"]


def test_char_vocabulary_rejects_bad_input():
    vocabulary = data.CharVocabulary("abc")
    with pytest.raises(ValueError, match="'xz'"):
        vocabulary.encode("axbz")
    with pytest.raises(ValueError, match="0..2"):
        vocabulary.decode([0, 3])
    with pytest.raises(ValueError, match="empty"):
        data.CharVocabulary("")
    with pytest.raises(TypeError, match="str"):
        data.CharVocabulary(["a"])


def test_sequence_blocks():
    sequence = torch.arange(10)
    blocks = data.sequence_blocks(sequence, 4)
    assert blocks.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]  # the tail of 2 is dropped
    overlapping = data.sequence_blocks(sequence, 4, step=3)
    assert overlapping.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    blocks[0, 0] = 99  # a copy, not a view of the sequence
    assert sequence[0] == 0
    with pytest.raises(ValueError, match="shorter than block_size"):
        data.sequence_blocks(sequence, 11)
    with pytest.raises(ValueError, match="1-D"):
        data.sequence_blocks(sequence.view(2, 5), 2)
    with pytest.raises(ValueError, match="positive"):
        data.sequence_blocks(sequence, 0)


# ----------------------------------------------------------------------------------------------------
# Waveforms


def test_waveforms_shape_range_and_determinism():
    x = data.make_waveforms(16, 200, seed=0)
    assert x.shape == (16, 200) and x.dtype == torch.float32
    assert float(x.abs().max()) <= 1.0
    assert torch.equal(x, data.make_waveforms(16, 200, seed=0))
    assert not torch.equal(x, data.make_waveforms(16, 200, seed=1))
    clean = data.make_waveforms(16, 200, seed=0, noise_std=0.0)
    assert float(clean.abs().max()) <= 0.9 + 1e-6  # amplitudes sum to 0.9
    assert 0.03 < float((x - clean).std()) < 0.07  # the noise has std 0.05


def test_single_sinusoid_has_its_peak_frequency_in_range():
    low, high, length = 0.05, 0.08, 1000
    x = data.make_waveforms(8, length, seed=2, num_components=1, frequency_range=(low, high), noise_std=0.0)
    spectrum = torch.fft.rfft(x.double() * torch.hann_window(length, dtype=torch.float64), dim=1).abs()
    peak = spectrum.argmax(1).double() / length  # cycles per sample
    resolution = 2.0 / length
    assert bool(((peak > low - resolution) & (peak < high + resolution)).all())
    # a pure sinusoid of amplitude 0.9: its RMS is 0.9 / sqrt(2) up to the partial last period
    assert torch.allclose(x.pow(2).mean(1).sqrt(), torch.full((8,), 0.9 / math.sqrt(2)), atol=0.02)


def test_waveforms_reject_bad_arguments():
    with pytest.raises(ValueError, match="frequency_range"):
        data.make_waveforms(2, 10, frequency_range=(0.1, 0.6))
    with pytest.raises(ValueError, match="noise_std"):
        data.make_waveforms(2, 10, noise_std=-0.1)
    with pytest.raises(TypeError, match="n must be an int"):
        data.make_waveforms(2.0, 10)
    with pytest.raises(ValueError, match="num_components"):
        data.make_waveforms(2, 10, num_components=0)


def test_quantization_round_trip_and_edges():
    num_levels = 16
    x = torch.linspace(-1.0, 1.0, 1001)
    levels = data.quantize_signal(x, num_levels)
    assert levels.dtype == torch.long and int(levels.min()) == 0 and int(levels.max()) == num_levels - 1
    bin_width = 2.0 / num_levels
    assert float((data.levels_to_signal(levels, num_levels) - x).abs().max()) <= bin_width / 2 + 1e-6
    assert torch.equal(data.quantize_signal(data.levels_to_signal(levels, num_levels), num_levels), levels)
    assert data.quantize_signal(torch.tensor([-3.0, 3.0]), num_levels).tolist() == [0, num_levels - 1]
    with pytest.raises(TypeError, match="floating-point"):
        data.quantize_signal(torch.tensor([1, 2]), num_levels)
    with pytest.raises(ValueError, match="num_levels >= 2"):
        data.quantize_signal(x, 1)
    with pytest.raises(ValueError, match="0..15"):
        data.levels_to_signal(torch.tensor([16]), num_levels)
    with pytest.raises(TypeError, match="integer"):
        data.levels_to_signal(torch.tensor([0.5]), num_levels)
