"""dgm_utils.train: the model-agnostic training loop, devices and seeding."""

import math
import random
import time

import numpy as np
import pytest
import torch
from torch import nn

from dgm_utils.latent import GaussianMixture, mixture_log_prob, mixture_sample
from dgm_utils.train import VALIDATION_SAMPLE_SIZE, History, fit, get_device, seed_everything
from train_helpers import Scalar, sgd

# Three well separated clusters, which a mixture can fit almost exactly.
TRUE_MEANS = torch.tensor([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
TRUE_LOG_STDS = torch.log(torch.full((3, 2), 0.5))
TRUE_LOGITS = torch.zeros(3)


def _cluster_data(num_samples, seed):
    generator = torch.Generator().manual_seed(seed)
    return mixture_sample(num_samples, TRUE_MEANS, TRUE_LOG_STDS, TRUE_LOGITS, generator=generator)


class ClusterSampler:
    """A stand-in for a toy distribution: fresh samples on demand, optionally from a generator."""

    def __init__(self):
        self.requests = []

    def sample(self, num_samples, generator=None):
        self.requests.append(num_samples)
        return mixture_sample(num_samples, TRUE_MEANS, TRUE_LOG_STDS, TRUE_LOGITS, generator=generator)


def test_fit_brings_a_gaussian_mixture_to_the_true_likelihood():
    x_train, x_val = _cluster_data(3000, seed=1), _cluster_data(1000, seed=2)
    true_nll = -mixture_log_prob(x_val, TRUE_MEANS, TRUE_LOG_STDS, TRUE_LOGITS).mean().item()
    torch.manual_seed(0)
    # One spare component: with exactly three, k-means++ now and then seeds two in one cluster and
    # gradient descent cannot move one of them across to the empty cluster (a local optimum).
    model = GaussianMixture(4).init_from_data(x_train, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # k-means alone lands near the optimum: start training well away from it
        model.means.add_(0.5)
        model.log_stds.add_(1.0)
    initial_nll = model.loss(x_val).item()
    history = fit(model, x_train, val_data=x_val, num_epochs=10, lr=0.05, progress=False)
    final_nll = model.loss(x_val).item()
    assert final_nll < initial_nll - 0.5, (initial_nll, final_nll)
    assert abs(final_nll - true_nll) < 0.1, (final_nll, true_nll)
    assert final_nll == pytest.approx(history.best_val_loss, rel=1e-5)  # the best state was restored
    assert history.num_steps == 10 * math.ceil(3000 / 128) == len(history.train_loss)
    assert np.mean(history.train_loss[-20:]) < np.mean(history.train_loss[:5]) - 0.5
    assert history.stop_reason == "completed" and not history.stopped_early
    assert history.wall_time > 0


def _train_mixture(seed, data):
    torch.manual_seed(123)  # the same initial model every time
    model = GaussianMixture(3)
    fit(model, data, num_steps=60, batch_size=64, lr=0.05, seed=seed, progress=False)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


@pytest.mark.parametrize("data_kind", ["tensor", "sampler"])
def test_same_seed_gives_identical_parameters(data_kind):
    make_data = (lambda: _cluster_data(500, seed=0)) if data_kind == "tensor" else ClusterSampler
    first, second = _train_mixture(7, make_data()), _train_mixture(7, make_data())
    assert torch.equal(first, second)
    assert not torch.equal(first, _train_mixture(8, make_data())), "the seed must change the batches"


def test_seed_covers_randomness_inside_the_loss_and_leaves_global_state_alone():
    def noisy_loss(model, x):  # like a VAE: draws from torch's global generator
        return model.loss(x + torch.randn_like(x))

    torch.manual_seed(5)
    state_before = torch.get_rng_state()
    results = []
    for _ in range(2):
        model = Scalar()
        fit(model, torch.zeros(32, 1), loss_fn=noisy_loss, num_steps=20, batch_size=8, seed=3, progress=False)
        results.append(model.w.detach().clone())
    assert torch.equal(results[0], results[1])
    assert torch.equal(torch.get_rng_state(), state_before)


def test_epochs_visit_every_example_once_in_a_new_order():
    seen = []

    def recording_loss(model, x):
        if torch.is_grad_enabled():
            seen.append(x[:, 0].long().tolist())
        return model.loss(x)

    data = torch.arange(10, dtype=torch.float32)[:, None]  # (10, 1)
    history = fit(Scalar(), data, loss_fn=recording_loss, num_epochs=3, batch_size=4, progress=False)
    assert history.num_steps == 9
    assert [len(batch) for batch in seen] == [4, 4, 2] * 3
    epochs = [sum(seen[i:i + 3], []) for i in (0, 3, 6)]
    assert all(sorted(epoch) == list(range(10)) for epoch in epochs)
    assert len({tuple(epoch) for epoch in epochs}) > 1, "the order must be reshuffled every epoch"


def test_sampler_gives_a_fresh_batch_every_step_and_one_fixed_validation_set():
    train_sampler, val_sampler = ClusterSampler(), ClusterSampler()
    history = fit(GaussianMixture(3), train_sampler, val_data=val_sampler, num_steps=250, batch_size=32,
                  progress=False)
    assert train_sampler.requests == [32] * 250
    assert val_sampler.requests == [VALIDATION_SAMPLE_SIZE]
    assert history.val_steps == [0, 100, 200, 250]  # default cadence for samplers, plus the final step


def test_validation_runs_in_eval_mode_without_gradients_over_all_examples():
    calls = []

    def recording_loss(model, x):
        calls.append((model.training, torch.is_grad_enabled(), len(x)))
        return model.loss(x)

    model = GaussianMixture(2)
    x_val = _cluster_data(2500, seed=3)
    history = fit(model, _cluster_data(200, seed=4), val_data=x_val, loss_fn=recording_loss, num_epochs=2,
                  batch_size=50, restore_best=False, progress=False)
    train_calls = [c for c in calls if c[1]]
    val_calls = [c for c in calls if not c[1]]
    assert all(training for training, _, _ in train_calls) and len(train_calls) == 8
    assert not any(training for training, _, _ in val_calls)
    assert sum(size for _, _, size in val_calls) == 2500 * 3  # before training and after each epoch
    assert max(size for _, _, size in val_calls) < 2500, "large validation sets are processed in chunks"
    assert history.val_steps == [0, 4, 8]
    assert history.val_loss[-1] == pytest.approx(model.loss(x_val).item(), rel=1e-5)
    assert model.training, "fit must leave the model in the mode it found it in"


def _scalar_early_stopping(restore_best):
    # SGD on mean (w - 5)^2 from w = 0 with lr 0.05: w_t = 5 (1 - 0.9^t). The validation loss (w - 1)^2
    # falls while w approaches 1 and rises once w overshoots it, so early stopping must trigger.
    model = Scalar()
    history = fit(model, torch.full((64, 1), 5.0), val_data=torch.full((16, 1), 1.0), optimizer=sgd(0.05),
                  num_steps=500, batch_size=16, eval_every=1, patience=3, restore_best=restore_best,
                  progress=False)
    return model, history


def test_early_stopping_stops_and_restores_the_best_state():
    model, history = _scalar_early_stopping(restore_best=True)
    assert history.stopped_early and history.stop_reason == "early_stopping"
    best_index = int(np.argmin(history.val_loss))
    assert history.best_step == history.val_steps[best_index]
    assert history.best_val_loss == min(history.val_loss) < history.val_loss[-1]
    assert history.num_steps == history.best_step + 3 < 500
    expected_w = 5 * (1 - 0.9 ** history.best_step)
    assert model.w.item() == pytest.approx(expected_w, rel=1e-5)
    assert model.loss(torch.ones(1)).item() == pytest.approx(history.best_val_loss, rel=1e-5)


def test_without_restore_best_the_last_state_is_kept():
    model, history = _scalar_early_stopping(restore_best=False)
    assert model.w.item() == pytest.approx(5 * (1 - 0.9 ** history.num_steps), rel=1e-5)
    assert model.loss(torch.ones(1)).item() == pytest.approx(history.val_loss[-1], rel=1e-5)


def test_max_time_caps_the_wall_clock():
    def slow_loss(model, x):
        time.sleep(0.02)
        return model.loss(x)

    max_time = 0.25
    history = fit(Scalar(), torch.zeros(8, 1), loss_fn=slow_loss, num_steps=100_000, max_time=max_time,
                  progress=False)
    assert history.stop_reason == "max_time" and history.stopped_early
    assert 1 <= history.num_steps < 100
    assert max_time <= history.wall_time < max_time + 2.0


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")])
def test_non_finite_loss_raises_naming_the_step(bad_value):
    calls = 0

    def exploding_loss(model, x):
        nonlocal calls
        calls += 1
        loss = model.loss(x)
        return loss * bad_value if calls == 3 else loss

    with pytest.raises(FloatingPointError, match=r"step 3\b.*learning rate"):
        fit(Scalar(), torch.zeros(8, 1), loss_fn=exploding_loss, num_steps=10, progress=False)


def test_a_nan_validation_loss_does_not_block_later_improvements():
    calls = 0

    def loss_nan_at_first_validation(model, x):
        nonlocal calls
        calls += 1
        return model.loss(x) * math.nan if calls == 1 else model.loss(x)  # call 1 is the validation at step 0

    history = fit(Scalar(), torch.ones(8, 1), val_data=torch.ones(8, 1), loss_fn=loss_nan_at_first_validation,
                  num_steps=4, batch_size=8, eval_every=1, optimizer=sgd(0.1), progress=False)
    assert math.isnan(history.val_loss[0])
    assert history.best_step == 4 and history.best_val_loss == history.val_loss[-1]


def test_grad_clip_limits_the_update():
    def steep_loss(model, x):
        return 1000.0 * model.w.sum()

    clipped, unclipped = Scalar(), Scalar()
    fit(clipped, torch.zeros(4, 1), loss_fn=steep_loss, optimizer=sgd(1.0), num_steps=1, grad_clip=1.0,
        progress=False)
    fit(unclipped, torch.zeros(4, 1), loss_fn=steep_loss, optimizer=sgd(1.0), num_steps=1, progress=False)
    assert clipped.w.item() == pytest.approx(-1.0)
    assert unclipped.w.item() == pytest.approx(-1000.0)


def test_optimizer_instance_and_factory_are_used():
    # One SGD step with lr 0.1 on mean (w - 5)^2 from w = 0: w = 0 - 0.1 * 2 * (0 - 5) = 1.
    data = torch.full((4, 1), 5.0)
    model = Scalar()
    fit(model, data, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), num_steps=1, progress=False)
    assert model.w.item() == pytest.approx(1.0)
    model = Scalar()
    fit(model, data, optimizer=sgd(0.1), num_steps=1, progress=False)
    assert model.w.item() == pytest.approx(1.0)


def test_weight_decay_reaches_the_default_adam():
    def flat_loss(model, x):
        return 0.0 * model.w.sum()

    decayed, plain = Scalar(1.0), Scalar(1.0)
    fit(decayed, torch.zeros(4, 1), loss_fn=flat_loss, weight_decay=0.5, lr=0.01, num_steps=5, progress=False)
    fit(plain, torch.zeros(4, 1), loss_fn=flat_loss, lr=0.01, num_steps=5, progress=False)
    assert decayed.w.item() == pytest.approx(1.0 - 5 * 0.01, rel=1e-3)  # Adam moves lr per step
    assert plain.w.item() == 1.0


def test_tuple_data_reaches_model_loss_as_arguments():
    class Line(nn.Module):
        def __init__(self):
            super().__init__()
            self.slope = nn.Parameter(torch.zeros(1))

        def loss(self, x, y):
            return ((self.slope * x - y) ** 2).mean()

    x = torch.linspace(-1, 1, 64)
    model = Line()
    fit(model, (x, 3.0 * x), lr=0.1, num_steps=300, batch_size=16, progress=False)
    assert model.slope.item() == pytest.approx(3.0, abs=1e-2)


def _quick_fit(**kwargs):
    arguments = dict(num_steps=30, batch_size=16, val_data=torch.zeros(40, 1), eval_every=10) | kwargs
    return fit(Scalar(), torch.ones(40, 1), **arguments)


@pytest.mark.parametrize("value", ["1", "True"])
def test_tqdm_disable_silences_the_bar_even_when_set_after_tqdm_was_imported(monkeypatch, capfd, value):
    import tqdm.auto  # noqa: F401  tqdm itself reads TQDM_DISABLE only at its import, so this is the hard case

    monkeypatch.setenv("TQDM_DISABLE", value)
    _quick_fit(progress=True)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_bar_is_shown_otherwise_and_silenced_by_progress_false(monkeypatch, capfd):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    _quick_fit(progress=True)
    assert "30/30" in capfd.readouterr().err  # the bar exists, so the silence above is real
    _quick_fit(progress=False)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("kwargs,error,fragment", [
    (dict(), ValueError, "exactly one of num_steps and num_epochs"),
    (dict(num_steps=5, num_epochs=2), ValueError, "exactly one"),
    (dict(num_steps=0), ValueError, "num_steps"),
    (dict(num_steps=2.5), TypeError, "num_steps"),
    (dict(num_steps=5, batch_size=0), ValueError, "batch_size"),
    (dict(num_steps=5, lr=-1.0), ValueError, "lr"),
    (dict(num_steps=5, patience=2), ValueError, "val_data"),
    (dict(num_steps=5, max_time=0), ValueError, "max_time"),
    (dict(num_steps=5, grad_clip=float("nan")), ValueError, "grad_clip"),
    (dict(num_steps=5, optimizer="adam"), TypeError, "optimizer"),
    (dict(num_steps=5, optimizer=lambda params: None), TypeError, "Optimizer"),
    (dict(num_steps=5, optimizer=torch.optim.SGD(Scalar().parameters(), lr=0.1)), ValueError, "another model"),
    (dict(num_steps=5, loss_fn=lambda m, x: (m.w - x) ** 2), ValueError, "scalar"),
    (dict(num_steps=5, loss_fn=lambda m, x: m.loss(x).detach()), ValueError, "require grad"),
    (dict(num_steps=5, loss_fn=lambda m, x: 1.0), TypeError, "torch.Tensor"),
    (dict(num_steps=5, val_data=[1, 2]), TypeError, "val_data"),
])
def test_bad_arguments_are_explained(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        fit(Scalar(), torch.zeros(8, 1), progress=False, **kwargs)


def test_bad_model_and_data_are_explained():
    with pytest.raises(TypeError, match="nn.Module"):
        fit(lambda x: x, torch.zeros(8, 1), num_steps=1)
    with pytest.raises(TypeError, match="loss_fn"):
        fit(nn.Linear(1, 1), torch.zeros(8, 1), num_steps=1)
    with pytest.raises(TypeError, match="train_data must be a Tensor"):
        fit(Scalar(), [1.0, 2.0], num_steps=1)
    with pytest.raises(ValueError, match="no examples"):
        fit(Scalar(), torch.zeros(0, 1), num_steps=1)
    with pytest.raises(ValueError, match="num_epochs needs"):
        fit(GaussianMixture(2), ClusterSampler(), num_epochs=1)


def test_history_repr_is_a_summary():
    history = History(train_loss=[float(i) for i in range(1000)], num_steps=1000)
    text = repr(history)
    assert "num_steps=1000" in text and "999" in text and len(text) < 300


def test_get_device():
    assert get_device() == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert get_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert get_device("cuda") == torch.device("cpu")
    with pytest.raises(ValueError, match="device"):
        get_device("not-a-device")
    with pytest.raises(TypeError, match="prefer"):
        get_device(3)


def test_fit_accepts_a_device_string():
    model = Scalar()
    fit(model, torch.ones(8, 1), num_steps=2, device="cpu", progress=False)
    assert model.w.device.type == "cpu"


def test_seed_everything_reproduces_every_generator():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    seed_everything(11)
    first = draw()
    seed_everything(11)
    assert draw() == first
    seed_everything(12)
    assert draw() != first
    with pytest.raises(TypeError, match="seed"):
        seed_everything("11")
    with pytest.raises(ValueError, match="seed"):
        seed_everything(-1)
