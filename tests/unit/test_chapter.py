"""dgm_utils.chapter: the setup every chapter calls first, and the timing helper."""

import random

import numpy as np
import pytest
import torch
from torch import nn

from dgm_utils import chapter


@pytest.fixture(autouse=True)
def _restore_global_state():
    """setup() changes process-wide state: give it back to the other tests of this worker."""
    threads, torch_state = torch.get_num_threads(), torch.random.get_rng_state()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    yield
    torch.set_num_threads(threads)
    torch.random.set_rng_state(torch_state)
    random.setstate(python_state)
    np.random.set_state(numpy_state)


def _one_chapter_run(seed=0):
    """What a chapter does after its setup cell: build a model, draw a plot's samples, use every global stream."""
    generator = chapter.setup(seed)
    weights = nn.Linear(3, 2).weight.detach().clone()
    plot_samples = torch.randn(4, generator=generator)
    return weights, plot_samples, torch.rand(2), random.random(), np.random.rand()


# ---------------------------------------------------------------------------------------------------
# setup


def test_setup_makes_two_runs_identical():
    first, second = _one_chapter_run(), _one_chapter_run()
    for a, b in zip(first, second):
        if isinstance(a, torch.Tensor):
            assert torch.equal(a, b)
        else:
            assert a == b


def test_another_seed_gives_another_run():
    first, other = _one_chapter_run(0), _one_chapter_run(1)
    assert not torch.equal(first[0], other[0])           # model initialization
    assert not torch.equal(first[1], other[1])           # the plots' generator
    assert first[3] != other[3] and first[4] != other[4]  # Python's and NumPy's streams


def test_the_generator_is_seeded_and_separate_from_the_global_stream():
    generator = chapter.setup(7)
    assert isinstance(generator, torch.Generator) and generator.initial_seed() == 7
    torch.randn(100, generator=generator)                # drawing a plot ...
    after_plot = torch.rand(3)
    chapter.setup(7)
    assert torch.equal(torch.rand(3), after_plot)         # ... leaves the models' stream where it was


@pytest.mark.parametrize("num_threads", [1, 2])
def test_setup_sets_the_number_of_threads(num_threads):
    torch.set_num_threads(3 - num_threads)
    chapter.setup(num_threads=num_threads)
    assert torch.get_num_threads() == num_threads


def test_setup_uses_one_thread_by_default():
    torch.set_num_threads(2)
    chapter.setup()
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(seed=-1), ValueError, "seed must be a non-negative int, got -1"),
    (dict(seed=1.5), TypeError, "seed must be an int"),
    (dict(seed=True), TypeError, "seed must be an int"),
    (dict(num_threads=0), ValueError, "num_threads must be a positive int, got 0"),
    (dict(num_threads="1"), TypeError, "num_threads must be an int"),
])
def test_setup_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        chapter.setup(**kwargs)


def test_setup_accepts_seeds_beyond_32_bits():
    generator = chapter.setup(2**40 + 5)
    assert generator.initial_seed() == 2**40 + 5


# ---------------------------------------------------------------------------------------------------
# best_time


class _FakeClock:
    """perf_counter replacement: each call of the timed function advances the clock by the next duration."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 100.0, list(durations), 0

    def perf_counter(self):
        return self.now

    def function(self):
        self.now += self.durations[self.calls]
        self.calls += 1


@pytest.mark.parametrize("durations, repeats, best", [
    ([0.5, 0.125, 0.25], 3, 0.125),
    ([0.25, 0.5, 0.125], 3, 0.125),
    ([0.75, 0.5, 0.125], 2, 0.5),     # only the first `repeats` calls are made
    ([0.375], 1, 0.375),
])
def test_best_time_is_the_minimum_of_the_calls(monkeypatch, durations, repeats, best):
    clock = _FakeClock(durations)
    monkeypatch.setattr(chapter.time, "perf_counter", clock.perf_counter)
    assert chapter.best_time(clock.function, repeats=repeats) == best
    assert clock.calls == repeats


def test_best_time_defaults_to_three_calls(monkeypatch):
    clock = _FakeClock([0.5, 0.25, 0.375, 0.0])
    monkeypatch.setattr(chapter.time, "perf_counter", clock.perf_counter)
    assert chapter.best_time(clock.function) == 0.25 and clock.calls == 3


def test_best_time_runs_without_gradients_and_measures_real_time():
    grad_enabled = []
    x = torch.ones(3, requires_grad=True)

    def function():
        grad_enabled.append(torch.is_grad_enabled())
        return (2 * x).sum()

    seconds = chapter.best_time(function, repeats=2)
    assert grad_enabled == [False, False] and torch.is_grad_enabled()
    assert isinstance(seconds, float) and 0 < seconds < 1


@pytest.mark.parametrize("function, repeats, error, message", [
    (None, 3, TypeError, "function must be callable"),
    (lambda: None, 0, ValueError, "repeats must be a positive int, got 0"),
    (lambda: None, 2.0, TypeError, "repeats must be an int"),
])
def test_best_time_rejects_bad_arguments(function, repeats, error, message):
    with pytest.raises(error, match=message):
        chapter.best_time(function, repeats=repeats)
