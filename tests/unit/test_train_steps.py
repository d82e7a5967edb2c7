"""dgm_utils.train step objects: LossStep, AdversarialStep, EMA and the step protocol of fit."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dgm_utils.train import EMA, AdversarialStep, LossStep, Step, fit
from train_helpers import Scalar, sgd


def _scalar_trajectory(num_steps):
    return [5 * (1 - 0.9**t) for t in range(num_steps + 1)]  # w_0 .. w_T


# ----------------------------------------------------------------------------------------------------
# LossStep and the protocol


def test_loss_step_given_as_step_matches_the_shorthands():
    data = torch.full((16, 1), 5.0)
    by_shorthand, by_step = Scalar(), Scalar()
    first = fit(by_shorthand, data, optimizer=sgd(0.05), num_steps=7, batch_size=4, progress=False)
    second = fit(by_step, data, step=LossStep(by_step, optimizer=sgd(0.05)), num_steps=7, batch_size=4,
                 progress=False)
    assert by_step.w.item() == pytest.approx(_scalar_trajectory(7)[-1], rel=1e-5)
    assert by_shorthand.w.item() == by_step.w.item()
    assert second.train_loss == first.train_loss
    assert second.logs == {"loss": second.train_loss}
    # fit(None, ...) with a step works too, and the step counts its updates
    step = LossStep(Scalar(), optimizer=sgd(0.05))
    fit(None, data, step=step, num_steps=3, progress=False)
    assert step.num_updates == 3


@pytest.mark.parametrize("shorthand", [dict(lr=0.1), dict(grad_clip=1.0), dict(loss_fn=lambda m, x: m.loss(x)),
                                       dict(weight_decay=0.1), dict(optimizer=sgd(0.1))])
def test_shorthands_together_with_a_step_are_refused(shorthand):
    model = Scalar()
    name = next(iter(shorthand))
    with pytest.raises(ValueError, match=rf"{name} configure the default LossStep.*step=LossStep\(model"):
        fit(model, torch.zeros(4, 1), step=LossStep(model), num_steps=1, progress=False, **shorthand)


def test_bad_steps_are_explained():
    model = Scalar()
    with pytest.raises(TypeError, match="step object.*nn.Module Scalar"):
        fit(None, torch.zeros(4, 1), step=model, num_steps=1)
    with pytest.raises(TypeError, match="step object"):
        fit(None, torch.zeros(4, 1), step=lambda batch: {"loss": 0.0}, num_steps=1)
    with pytest.raises(ValueError, match="another model instance"):
        fit(Scalar(), torch.zeros(4, 1), step=LossStep(model), num_steps=1)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit(None, torch.zeros(4, 1), num_steps=1)


class ConditionalScalar(Scalar):
    """loss(x, context) = mean (w * context - x)^2; records what it was called with."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def loss(self, x, *, context=None):  # keyword-only: a positional call must fail
        self.calls.append(context)
        return ((self.w * context - x) ** 2).mean()


def test_context_batches_reach_model_loss_as_a_keyword():
    labels = torch.arange(1.0, 9.0)[:, None]  # (8, 1)
    model = ConditionalScalar()
    fit(model, (2.0 * labels, labels), step=LossStep(model, lr=0.1, context=True), num_steps=300, batch_size=8,
        progress=False)
    assert all(torch.equal(context.sort(dim=0).values, labels) for context in model.calls)
    assert model.w.item() == pytest.approx(2.0, abs=1e-2)
    with pytest.raises(ValueError, match=r"context=True needs batches \(x, context\).*got a Tensor"):
        fit(model, labels, step=LossStep(model, context=True), num_steps=1, progress=False)
    with pytest.raises(ValueError, match="loss_fn receives the whole batch"):
        LossStep(model, lambda m, batch: m.loss(*batch), context=True)


class Recorder(Step):
    """A duck-typed step: logs 'loss' every step and 'rare' every third step."""

    def __init__(self):
        self.model = Scalar()
        self.modules = (self.model,)
        self.batches = []

    def __call__(self, batch):
        self.batches.append(batch)
        logs = {"loss": float(len(self.batches))}
        if len(self.batches) % 3 == 0:
            logs["rare"] = torch.tensor(-1.0)  # a 0-d tensor is a scalar too
        return logs


def test_logs_of_a_custom_step_are_aligned_with_steps():
    step = Recorder()
    history = fit(None, torch.zeros(10, 2), step=step, num_steps=7, batch_size=4, progress=False)
    assert history.train_loss == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0] == history.logs["loss"]
    rare = history.logs["rare"]
    assert len(rare) == 7 and [i for i, v in enumerate(rare) if not math.isnan(v)] == [2, 5]
    assert rare[2] == -1.0
    assert isinstance(step.batches[0], torch.Tensor) and step.batches[0].shape == (4, 2)
    assert "logs=['loss', 'rare']" in repr(history)


def test_a_step_without_validation_loss_cannot_take_val_data():
    with pytest.raises(NotImplementedError, match="Recorder has no validation_loss.*without val_data"):
        fit(None, torch.zeros(10, 2), step=Recorder(), val_data=torch.zeros(4, 2), num_steps=2, progress=False)


@pytest.mark.parametrize("logs,fragment", [({"other": 1.0}, "holding 'loss'"), (1.5, "got float"),
                                           ({"loss": "low"}, "real numbers")])
def test_bad_step_outputs_are_explained(logs, fragment):
    class Bad(Recorder):
        def __call__(self, batch):
            return logs

    with pytest.raises(TypeError, match=fragment):
        fit(None, torch.zeros(4, 1), step=Bad(), num_steps=1, progress=False)


# ----------------------------------------------------------------------------------------------------
# AdversarialStep


class FakeGAN(nn.Module):
    """Scalar 'networks' whose losses record the order of the calls and have known gradients.

    critic_loss = c + g (d/dc = 1, d/dg = 1), generator_loss = 2 g + c (d/dg = 2, d/dc = 1). With SGD at lr 1,
    each critic update lowers c by exactly 1 and each generator update lowers g by exactly 2, provided
    that no gradient leaks from one network's loss into the other network's update.
    """

    def __init__(self):
        super().__init__()
        self.generator, self.critic = Scalar(), Scalar()
        self.calls = []

    def critic_loss(self, x):
        self.calls.append("c")
        return self.critic.w.sum() + self.generator.w.sum() + 0.0 * x.sum()

    def generator_loss(self, x):
        self.calls.append("g")
        return 2.0 * self.generator.w.sum() + self.critic.w.sum()


def test_adversarial_step_orders_and_counts_the_updates():
    gan = FakeGAN()
    step = AdversarialStep(gan, critic_steps=3, critic_optimizer=sgd(1.0), generator_optimizer=sgd(1.0))
    history = fit(gan, torch.zeros(20, 1), step=step, num_steps=7, batch_size=4, progress=False)
    assert "".join(gan.calls) == "ccc" "g" "ccc" "g" "c"
    assert (step.critic_updates, step.generator_updates) == (7, 2)
    assert gan.critic.w.item() == -7.0 and gan.generator.w.item() == -4.0
    generator_logged = [i + 1 for i, v in enumerate(history.logs["generator_loss"]) if not math.isnan(v)]
    assert generator_logged == [3, 6]
    assert history.train_loss == history.logs["critic_loss"] and len(history.train_loss) == 7
    # the critic loss c + g before each step: c = -(k - 1), g = 0, -2, -4 after 0, 1, 2 generator updates
    expected_critic = [-(k - 1) - 2 * ((k - 1) // 3) for k in range(1, 8)]
    assert history.logs["critic_loss"] == expected_critic


def test_adversarial_step_with_one_critic_step_alternates():
    gan = FakeGAN()
    fit(gan, torch.zeros(8, 1), step=AdversarialStep(gan, critic_optimizer=sgd(1.0), generator_optimizer=sgd(1.0)),
        num_steps=3, progress=False)
    assert "".join(gan.calls) == "cgcgcg"


def test_critic_weight_clip_clamps_after_each_critic_update():
    gan = FakeGAN()
    fit(gan, torch.zeros(8, 1), step=AdversarialStep(gan, critic_optimizer=sgd(1.0), critic_weight_clip=0.5),
        num_steps=4, progress=False)
    assert gan.critic.w.item() == -0.5


class GaussianGAN(nn.Module):
    """Generator x = a z + b, z ~ N(0, 1); critic a logistic regression on (x, x^2): the standard GAN game."""

    def __init__(self):
        super().__init__()
        self.generator = nn.Linear(1, 1)
        self.critic = nn.Linear(2, 1)

    def sample(self, num_samples):
        return self.generator(torch.randn(num_samples, 1))  # (N, 1)

    def _critic_logits(self, x):
        return self.critic(torch.cat([x, x**2], dim=1))  # (N, 1)

    def critic_loss(self, x):
        fake = self.sample(len(x)).detach()
        return F.softplus(-self._critic_logits(x)).mean() + F.softplus(self._critic_logits(fake)).mean()

    def generator_loss(self, x):  # the non-saturating loss -log D(G(z))
        return F.softplus(-self._critic_logits(self.sample(len(x)))).mean()


def test_adversarial_step_moves_a_tiny_gan_onto_the_data():
    torch.manual_seed(0)
    gan = GaussianGAN()
    real = 3.0 + 0.5 * torch.randn(4096, 1, generator=torch.Generator().manual_seed(0))  # N(3, 0.5^2)
    with torch.no_grad():
        assert abs(gan.sample(10_000).mean().item()) < 1.5
    fit(gan, real, step=AdversarialStep(gan, lr=5e-2, critic_steps=2), num_steps=300, batch_size=256,
        progress=False)
    with torch.no_grad():
        assert gan.sample(10_000).mean().item() == pytest.approx(3.0, abs=0.3)


def test_bad_adversarial_steps_are_explained():
    with pytest.raises(TypeError, match=r"generator \(default model.generator\)"):
        AdversarialStep(Scalar())
    with pytest.raises(ValueError, match="critic_steps"):
        AdversarialStep(FakeGAN(), critic_steps=0)
    shared = FakeGAN()
    with pytest.raises(ValueError, match="share parameters"):
        AdversarialStep(shared, critic=shared.generator)
    with pytest.raises(ValueError, match="submodule of model"):
        AdversarialStep(FakeGAN(), critic=Scalar())
    with pytest.raises(NotImplementedError, match="AdversarialStep has no validation_loss"):
        gan = FakeGAN()
        fit(gan, torch.zeros(8, 1), step=AdversarialStep(gan), val_data=torch.zeros(8, 1), num_steps=1,
            progress=False)
    gan = FakeGAN()
    exploding = AdversarialStep(gan, generator_loss=lambda model, x: model.generator.w.sum() + math.inf)
    with pytest.raises(FloatingPointError, match="generator loss is inf at step 1"):
        fit(gan, torch.zeros(8, 1), step=exploding, num_steps=2, progress=False)


# ----------------------------------------------------------------------------------------------------
# EMA


def _hand_ema(decay, num_steps):
    """theta_bar_0 = w_0, theta_bar_t = decay * theta_bar_{t-1} + (1 - decay) * w_t."""
    trajectory = _scalar_trajectory(num_steps)
    average = trajectory[0]
    for w in trajectory[1:]:
        average = decay * average + (1 - decay) * w
    return average


def test_ema_follows_the_hand_computed_average():
    decay, num_steps = 0.8, 10
    model = Scalar()
    ema = EMA(LossStep(model, optimizer=sgd(0.05)), decay=decay)
    history = fit(model, torch.full((8, 1), 5.0), step=ema, num_steps=num_steps, progress=False)
    assert model.w.item() == pytest.approx(_scalar_trajectory(num_steps)[-1], rel=1e-5)  # training is untouched
    assert ema.averaged_model.w.item() == pytest.approx(_hand_ema(decay, num_steps), rel=1e-5)
    assert ema.averaged_model.w.item() != pytest.approx(_hand_ema(1 - decay, num_steps), rel=1e-3)
    assert ema.num_updates == num_steps and history.logs == {"loss": history.train_loss}
    assert not ema.averaged_model.training and not ema.averaged_model.w.requires_grad
    assert ema.parameters() == [model.w] and ema.modules == (model, ema.averaged_model)  # what the step trains


class WithBuffers(Scalar):
    """A float buffer that the loss sets to the step count, and an integer buffer counting the steps."""

    def __init__(self):
        super().__init__()
        self.register_buffer("level", torch.zeros(1))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    def loss(self, x):
        if torch.is_grad_enabled():
            self.count += 1
            self.level.fill_(float(self.count))
        return super().loss(x)


def test_ema_averages_float_buffers_and_copies_integer_buffers():
    decay = 0.5
    model = WithBuffers()
    ema = EMA(LossStep(model), decay=decay)
    fit(model, torch.zeros(4, 1), step=ema, num_steps=3, progress=False)
    expected_level = 0.0
    for level in (1.0, 2.0, 3.0):
        expected_level = decay * expected_level + (1 - decay) * level
    assert ema.averaged_model.level.item() == pytest.approx(expected_level)  # 1.625
    assert ema.averaged_model.count.item() == 3


def test_swap_lends_the_average_to_the_live_model_for_a_block():
    model = Scalar()
    ema = EMA(LossStep(model, optimizer=sgd(0.05)), decay=0.9)
    fit(model, torch.full((8, 1), 5.0), step=ema, num_steps=5, progress=False)
    live, average = model.w.item(), ema.averaged_model.w.item()
    assert live != pytest.approx(average)
    with ema.swap() as swapped:
        assert swapped is model and model.w.item() == average
    assert model.w.item() == live


@pytest.mark.parametrize("validate_averaged", [True, False])
def test_ema_validation_uses_the_chosen_weights_and_restores_both(validate_averaged):
    decay = 0.8
    model = Scalar()
    ema = EMA(LossStep(model, optimizer=sgd(0.05)), decay=decay, validate_averaged=validate_averaged)
    val_x = torch.full((4, 1), 1.0)
    history = fit(model, torch.full((8, 1), 5.0), step=ema, val_data=val_x, eval_every=1, num_steps=40,
                  progress=False)
    def judged(step):
        return _hand_ema(decay, step) if validate_averaged else _scalar_trajectory(step)[-1]

    expected = [(judged(step) - 1.0) ** 2 for step in history.val_steps]
    assert history.val_loss == pytest.approx(expected, abs=1e-5)
    assert history.val_loss[1] == pytest.approx(0.81 if validate_averaged else 0.25, rel=1e-4)  # w_1 = 0.5
    step = history.best_step
    live, average = _scalar_trajectory(step)[-1], _hand_ema(decay, step)
    assert model.w.item() == pytest.approx(live, rel=1e-5)  # restore_best restores the live weights ...
    assert ema.averaged_model.w.item() == pytest.approx(average, rel=1e-5)  # ... and the average of that step


def test_ema_of_one_network_of_a_gan():
    gan = FakeGAN()
    ema = EMA(AdversarialStep(gan, critic_optimizer=sgd(1.0), generator_optimizer=sgd(1.0)), decay=0.5,
              module=gan.generator)
    history = fit(gan, torch.zeros(8, 1), step=ema, num_steps=2, progress=False)
    assert set(history.logs) == {"critic_loss", "generator_loss"} and ema.loss_key == "critic_loss"
    assert gan.generator.w.item() == -4.0
    assert ema.averaged_model.w.item() == pytest.approx(0.5 * (0.5 * 0 + 0.5 * -2.0) + 0.5 * -4.0)
    with pytest.raises(ValueError, match="pass module="):
        EMA(_two_module_step())


def _two_module_step():
    step = Recorder()
    step.modules = (Scalar(), Scalar())
    return step


@pytest.mark.parametrize("kwargs,error,fragment", [
    (dict(decay=1.0), ValueError, r"\[0, 1\)"),
    (dict(decay=-0.1), ValueError, "decay"),
    (dict(decay="0.9"), TypeError, "decay"),
    (dict(module=Scalar()), ValueError, "one of step.modules"),
])
def test_bad_ema_arguments_are_explained(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        EMA(LossStep(Scalar()), **kwargs)


def test_adversarial_step_stops_an_exploding_critic_and_can_be_told_not_to():
    gan = FakeGAN()
    big = AdversarialStep(gan, critic_loss=lambda model, x: model.critic.w.sum() - 1e5, max_critic_loss=1e4)
    with pytest.raises(FloatingPointError, match=r"critic loss is -1e\+05 at step 1.*max_critic_loss.*exploding"):
        fit(gan, torch.zeros(8, 1), step=big, num_steps=2, progress=False)
    gan = FakeGAN()
    unbounded = AdversarialStep(gan, critic_loss=lambda model, x: model.critic.w.sum() - 1e5, max_critic_loss=None)
    assert fit(gan, torch.zeros(8, 1), step=unbounded, num_steps=2, progress=False).num_steps == 2
    with pytest.raises(ValueError, match="max_critic_loss"):
        AdversarialStep(FakeGAN(), max_critic_loss=-1.0)


def _lrs_of_a_cosine_run(num_steps, **fit_options):
    model = nn.Linear(1, 1)
    seen = []

    def loss_fn(m, x):
        seen.append(step_holder[0].optimizer.param_groups[0]["lr"])
        return (m(x) ** 2).mean()

    step_holder = [LossStep(model, loss_fn, lr=0.1, lr_schedule="cosine", schedule_steps=num_steps)]
    fit(model, torch.ones(8, 1), step=step_holder[0], num_steps=num_steps, batch_size=8, progress=False,
        **fit_options)
    return seen, step_holder[0].optimizer.param_groups[0]["lr"]


def test_cosine_schedule_follows_its_formula_and_ends_at_zero():
    seen, final = _lrs_of_a_cosine_run(10)
    expected = [0.1 * 0.5 * (1 + math.cos(math.pi * t / 10)) for t in range(10)]  # the lr of update t + 1
    assert seen == pytest.approx(expected)
    assert final == pytest.approx(0.0, abs=1e-12)


def test_fit_shorthand_spans_the_run_in_steps_or_epochs():
    for options, updates in ((dict(num_steps=6), 6), (dict(num_epochs=3), 6)):  # 8 examples, batches of 4
        model = nn.Linear(1, 1)

        def loss_fn(m, x):
            return (m(x) ** 2).mean()

        history = fit(model, torch.ones(8, 1), loss_fn=loss_fn, lr=0.1, lr_schedule="cosine", batch_size=4,
                      progress=False, **options)
        assert history.num_steps == updates
    constant = LossStep(nn.Linear(1, 1), lambda m, x: (m(x) ** 2).mean(), lr=0.1)
    assert constant.scheduler is None


@pytest.mark.parametrize("options, match", [
    (dict(lr_schedule="linear", schedule_steps=10), "lr_schedule must be one of"),
    (dict(lr_schedule="cosine"), "needs the number of updates"),
    (dict(lr_schedule="cosine", schedule_steps=0), "schedule_steps"),
])
def test_lr_schedule_rejects_bad_settings(options, match):
    with pytest.raises(ValueError, match=match):
        LossStep(nn.Linear(1, 1), lambda m, x: (m(x) ** 2).mean(), **options)


def test_lr_schedule_shorthand_is_refused_with_a_given_step():
    model = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="lr_schedule"):
        fit(model, torch.ones(8, 1), step=LossStep(model, lambda m, x: (m(x) ** 2).mean()), num_steps=2,
            lr_schedule="cosine", progress=False)
