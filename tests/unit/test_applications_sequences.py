"""Chapter 8c: prompt completion, n-gram baselines, code and molecule-like strings, audio super-resolution."""

import ast
import itertools
import math

import pytest
import torch

from dgm_utils import applications as apps
from dgm_utils import autoregressive as ar
from dgm_utils import data


def _abab_bigram(alpha=1e-6):
    vocabulary = data.CharVocabulary("ab")
    return vocabulary, apps.CharNGram(2, order=2, alpha=alpha).fit(vocabulary.encode("ab" * 50))


# --- n-grams and completion ------------------------------------------------------------------------------------

def test_bigram_matches_smoothed_counts_exactly():
    vocabulary = data.CharVocabulary("abc")
    tokens = vocabulary.encode("aab")  # start->a, a->a, a->b
    model = apps.CharNGram(3, order=2, alpha=1.0).fit(tokens)
    x = vocabulary.encode("ab")[None]
    # p(a | start) = (1 + 1) / (1 + 3), p(b | a) = (1 + 1) / (2 + 3)
    expected = math.log(2 / 4) + math.log(2 / 5)
    assert model.log_prob(x).item() == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_ngram_is_normalized_over_all_sequences(order):
    model = apps.CharNGram(3, order=order, alpha=0.5).fit(torch.tensor([0, 1, 2, 2, 1, 0, 0]))
    everything = torch.tensor(list(itertools.product(range(3), repeat=3)))  # all 27 sequences of length 3
    assert model.log_prob(everything).exp().sum().item() == pytest.approx(1.0, abs=1e-5)


def test_unigram_ignores_the_context():
    model = apps.CharNGram(3, order=1).fit(torch.tensor([0, 0, 1]))
    assert torch.allclose(model(torch.tensor([[0, 1, 2]]))[0], model(torch.tensor([[2, 2, 0]]))[0])


def test_ngram_rejects_bad_input():
    with pytest.raises(ValueError, match="order"):
        apps.CharNGram(3, order=4)
    with pytest.raises(ValueError, match="1-D"):
        apps.CharNGram(3).fit(torch.zeros(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="0..2"):
        apps.CharNGram(3).fit(torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="alpha"):
        apps.CharNGram(3, alpha=0.0)


def test_greedy_completion_follows_the_most_likely_path_and_stops():
    vocabulary, model = _abab_bigram()
    assert apps.complete(model, vocabulary, "a", 5, temperature=0) == ["babab"]
    assert apps.complete(model, vocabulary, "ab", 5, temperature=0, stop="b") == ["ab"]
    texts = apps.complete(model, vocabulary, "a", 4, temperature=1.0, num_samples=3,
                          generator=torch.Generator().manual_seed(0))
    assert texts == ["baba"] * 3  # p(b | a) = 1 up to alpha


def test_completion_samples_follow_the_model_distribution():
    vocabulary = data.CharVocabulary("ab")
    model = apps.CharNGram(2, order=1, alpha=1e-6).fit(vocabulary.encode("a" * 30 + "b" * 10))  # p(a) = 3/4
    texts = apps.complete(model, vocabulary, "a", 1, num_samples=4000, generator=torch.Generator().manual_seed(1))
    assert sum(text == "a" for text in texts) / 4000 == pytest.approx(0.75, abs=0.03)


def test_completion_slides_a_window_past_the_block_size_of_a_transformer():
    torch.manual_seed(0)
    vocabulary = data.CharVocabulary("abc")
    model = ar.CausalTransformer(3, block_size=8, embed_dim=16, num_heads=2, num_layers=1)
    texts = apps.complete(model, vocabulary, "abcabc", 20, num_samples=2, generator=torch.Generator().manual_seed(0))
    assert len(texts) == 2 and all(len(text) == 20 and set(text) <= set("abc") for text in texts)
    assert model.training  # the mode is restored


def test_complete_rejects_bad_arguments():
    vocabulary, model = _abab_bigram()
    with pytest.raises(ValueError, match="outside the vocabulary"):
        apps.complete(model, vocabulary, "z", 3)
    with pytest.raises(ValueError, match="temperature"):
        apps.complete(model, vocabulary, "a", 3, temperature=-1.0)
    with pytest.raises(ValueError, match="prompt"):
        apps.complete(model, vocabulary, "", 3)
    with pytest.raises(TypeError, match="num_chars"):
        apps.complete(model, vocabulary, "a", 2.5)


def test_next_token_probabilities_are_sorted_and_exact():
    vocabulary = data.CharVocabulary("abc")
    model = apps.CharNGram(3, order=2, alpha=1.0).fit(vocabulary.encode("ab"))  # counts after a: b once
    top = apps.next_token_probabilities(model, vocabulary, "a", k=3)
    assert [char for char, _ in top] == ["b", "a", "c"] or [char for char, _ in top] == ["b", "c", "a"]
    assert top[0][1] == pytest.approx(2 / 4, abs=1e-6) and sum(p for _, p in top) == pytest.approx(1.0, abs=1e-6)
    assert len(apps.next_token_probabilities(model, vocabulary, "a", k=10)) == 3


# --- code ----------------------------------------------------------------------------------------------------

def test_function_completion_parses_only_finished_valid_functions():
    assert apps.function_completion_parses("def f(x", "):\n    return x\n\nmore text")
    assert not apps.function_completion_parses("def f(x", "):\n    return x")  # not finished
    assert not apps.function_completion_parses("def f(x", ")\n    return x\n\n")  # missing colon
    assert apps.cut_at_blank_line("a\nb\n\nc") == ("a\nb", True)
    with pytest.raises(TypeError):
        apps.cut_at_blank_line(3)


def test_load_stdlib_code_is_deterministic_python_functions():
    code = data.load_stdlib_code(max_chars=30_000, seed=0)
    assert code == data.load_stdlib_code(max_chars=30_000, seed=0)
    assert len(code) == 30_000 and all(char == "\n" or " " <= char <= "~" for char in code)
    assert code != data.load_stdlib_code(max_chars=30_000, seed=1)
    functions = code.split("\n\n")[:-1]  # the last piece may be cut by max_chars
    assert len(functions) > 10
    for function in functions:
        tree = ast.parse(function)
        assert len(tree.body) == 1 and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef))
        assert ast.get_docstring(tree.body[0]) is None
    with pytest.raises(ValueError):
        data.load_stdlib_code(max_chars=-1)


# --- molecule-like strings -------------------------------------------------------------------------------------

def test_generated_molecules_are_valid_varied_and_reproducible():
    molecules = data.make_molecules(500, seed=3)
    assert molecules == data.make_molecules(500, seed=3) and molecules != data.make_molecules(500, seed=4)
    assert all(data.is_valid_molecule(m) for m in molecules)
    assert len(set(molecules)) > 400
    assert any("=" in m for m in molecules) and any("1" in m for m in molecules) and any("(" in m for m in molecules)


@pytest.mark.parametrize("string", ["C", "CC", "C(=O)O", "C1CC1", "FC(F)(F)F", "C=C=C", "N1C2CC1C2", "O=O"])
def test_valid_molecules(string):
    assert data.is_valid_molecule(string)


@pytest.mark.parametrize("string", ["", "C(C", "C)", "C()C", "(C)C", "=C", "C=", "C1CC", "C11", "C1C1", "C=O=C",
                                    "CC(F)(F)(F)F", "FFF", "C(C)1CC1", "Cl", "C1=C1", "N(=C)=C"])
def test_invalid_molecules(string):
    assert not data.is_valid_molecule(string)


def test_molecule_bonds_reads_rings_branches_and_double_bonds():
    assert data.molecule_bonds("C1CC1") == (["C", "C", "C"], {(0, 1): 1, (1, 2): 1, (0, 2): 1})
    assert data.molecule_bonds("C(=O)O") == (["C", "O", "O"], {(0, 1): 2, (0, 2): 1})
    with pytest.raises(TypeError):
        data.molecule_bonds(None)
    with pytest.raises(ValueError, match="min_atoms"):
        data.make_molecules(3, min_atoms=5, max_atoms=4)


def test_structure_metrics_counts():
    result = apps.structure_metrics(["C", "C", "CC", "C("], training_strings=["C"], is_valid=data.is_valid_molecule)
    assert result == dict(validity=0.75, uniqueness=2 / 3, novelty=0.5, num_samples=4)
    assert apps.structure_metrics(["("], [], data.is_valid_molecule)["uniqueness"] == 0.0
    with pytest.raises(ValueError):
        apps.structure_metrics([], [], data.is_valid_molecule)


# --- audio super-resolution ------------------------------------------------------------------------------------

def _small_wavenet(num_levels=2, factor=2):
    torch.manual_seed(0)
    return apps.SuperResolutionWaveNet(num_levels=num_levels, factor=factor, channels=8, dilations=(1, 2))


def test_super_resolution_wavenet_is_normalized_given_the_low_rate_signal():
    model = _small_wavenet()
    everything = torch.tensor(list(itertools.product(range(2), repeat=3)))  # all x of length 3
    y = torch.tensor([[0, 1]]).expand(len(everything), -1)  # M = ceil(3 / 2) = 2
    assert model.log_prob(everything, context=y).exp().sum().item() == pytest.approx(1.0, abs=1e-5)


def test_super_resolution_wavenet_is_causal_in_x_and_sees_the_future_of_y():
    model = _small_wavenet(num_levels=4, factor=2)
    x, y = torch.randint(0, 4, (1, 8)), torch.randint(0, 4, (1, 4))
    logits = model(x, y)
    x_changed = x.clone()
    x_changed[0, 5:] = (x[0, 5:] + 1) % 4
    assert torch.allclose(model(x_changed, y)[0, :6], logits[0, :6])  # x_t depends on x_{<t} only
    assert not torch.allclose(model(x_changed, y)[0, 6:], logits[0, 6:])
    y_changed = y.clone()
    y_changed[0, 3] = (y[0, 3] + 1) % 4  # the known sample at t = 6
    assert not torch.allclose(model(x, y_changed)[0, 5], logits[0, 5])  # seen before it comes


def test_super_resolution_samples_keep_the_known_samples():
    model = _small_wavenet(num_levels=8, factor=4)
    y = torch.randint(0, 8, (3, 5))
    x = model.sample(3, context=y, generator=torch.Generator().manual_seed(0))
    assert x.shape == (3, 17) and torch.equal(x[:, ::4], y)
    assert model.sample(2, context=y[0], length=20).shape == (2, 20)
    with pytest.raises(ValueError, match="low-rate"):
        model.sample(2)
    with pytest.raises(ValueError, match="columns"):
        model.log_prob(torch.zeros(3, 9, dtype=torch.long), context=y)


def test_interpolation_baselines_are_exact_on_lines_and_cubics():
    t = torch.arange(13, dtype=torch.float32)
    line, cubic = 0.1 * t - 0.3, 1e-3 * (t - 4.0) ** 3 - 0.01 * t
    low = torch.stack([line, cubic])[:, ::3]  # known at 0, 3, 6, 9, 12
    linear = apps.interpolate_signal(low, 3, 13, method="linear")
    spline = apps.interpolate_signal(low, 3, 13, method="cubic")
    assert torch.allclose(linear[0], line, atol=1e-5) and torch.allclose(spline[1], cubic, atol=1e-5)
    assert torch.allclose(linear[:, ::3], low) and torch.allclose(spline[:, ::3], low)
    with pytest.raises(ValueError, match="method"):
        apps.interpolate_signal(low, 3, 13, method="nearest")
    with pytest.raises(ValueError, match="columns"):
        apps.interpolate_signal(low, 3, 20)
