"""Imitation learning as P(actions | observations): the two-sided expert of dgm_utils.data.behaviour and the policies
of dgm_utils.applications.imitation."""

import math

import pytest
import torch

from dgm_utils import applications, base, data, train


@pytest.fixture(scope="module")
def demos():
    return data.make_behaviour_dataset(100, seed=0)


def _first_rows(behaviour):
    return torch.cat([torch.tensor([True]), behaviour.episode[1:] != behaviour.episode[:-1]])


def test_the_dataset_has_matching_shapes_and_both_sides(demos):
    n = len(demos.actions)
    assert demos.observations.shape == (n, 2) and demos.actions.shape == (n, 2)
    assert demos.episode.shape == (n,) and demos.side.shape == (n,)
    assert set(demos.side.tolist()) == {-1.0, 1.0}
    left = (demos.side[_first_rows(demos)] < 0).float().mean()
    assert 0.35 < float(left) < 0.65, "the expert picks each side with probability 1/2"
    assert isinstance(demos.course, data.ObstacleCourse)


def test_the_actions_are_bimodal_at_the_obstacle(demos):
    # at the start, the lateral step of every episode has the sign of its side: two modes, not one
    first = _first_rows(demos)
    lateral = demos.actions[first, 0]
    assert torch.equal(torch.sign(lateral), demos.side[first])
    assert float(lateral.abs().min()) > 0.5 * demos.course.step_size * math.cos(demos.course.sidestep_angle)
    # their mean is close to straight ahead: the average of the modes is an action no episode took
    assert abs(float(lateral.mean())) < 0.2 * float(lateral.abs().mean())


def test_the_side_is_kept_for_the_whole_episode(demos):
    for episode in demos.episode.unique()[:10]:
        rows = demos.episode == episode
        assert len(demos.side[rows].unique()) == 1
        below = rows & (demos.observations[:, 1] < demos.course.obstacle[1])
        assert bool((torch.sign(demos.actions[below, 0]) == demos.side[rows][0]).all())


def test_the_expert_succeeds_and_a_straight_policy_collides():
    course = data.ObstacleCourse()
    expert = course.expert_policy(200, torch.Generator().manual_seed(1))
    result = course.rollout(expert, 200, seed=1)
    assert result.success_rate >= 0.95 and result.collision_rate == 0.0
    assert result.trajectories.shape == (200, course.max_steps + 1, 2)

    def straight(obs):
        return torch.tensor([0.0, course.step_size]).expand_as(obs).clone()

    straight_result = course.rollout(straight, 50, seed=1)
    assert straight_result.collision_rate == 1.0 and straight_result.success_rate == 0.0
    # a collision ends the episode: the path never enters the obstacle's interior past the first crossing
    stopped = straight_result.trajectories[:, -1]
    assert bool(((stopped - course.obstacle).norm(dim=1) < course.obstacle_radius + course.step_size * 2).all())


def test_the_data_and_the_rollouts_are_deterministic_given_the_seed():
    a, b = data.make_behaviour_dataset(20, seed=3), data.make_behaviour_dataset(20, seed=3)
    assert torch.equal(a.observations, b.observations) and torch.equal(a.actions, b.actions)
    c = data.make_behaviour_dataset(20, seed=4)
    assert not torch.equal(a.actions[:10], c.actions[:10])
    course = a.course

    def noisy(obs):
        return torch.randn(obs.shape) * 0.3

    first, second = course.rollout(noisy, 10, seed=5), course.rollout(noisy, 10, seed=5)
    assert torch.equal(first.trajectories, second.trajectories)


@pytest.mark.parametrize("call, error, match", [
    (lambda: data.make_behaviour_dataset(0), ValueError, "num_episodes"),
    (lambda: data.make_behaviour_dataset(2.5), TypeError, "num_episodes"),
    (lambda: data.make_behaviour_dataset(5, seed=-1), ValueError, "seed"),
    (lambda: data.make_behaviour_dataset(5, course="course"), TypeError, "ObstacleCourse"),
    (lambda: data.ObstacleCourse(obstacle_radius=-1.0), ValueError, "obstacle_radius"),
    (lambda: data.ObstacleCourse(start=(0.0, 0.5)), ValueError, "start"),
    (lambda: data.ObstacleCourse(goal="far"), TypeError, "goal"),
    (lambda: data.ObstacleCourse(pass_offset=0.5), ValueError, "pass_offset"),
    (lambda: data.ObstacleCourse().rollout("policy", 5), TypeError, "policy"),
    (lambda: data.ObstacleCourse().rollout(lambda obs: obs, 0), ValueError, "num_episodes"),
    (lambda: data.ObstacleCourse().rollout(lambda obs: obs[:, :1], 3), ValueError, r"\(3, 2\)"),
    (lambda: data.ObstacleCourse().rollout(lambda obs: obs.long(), 3), TypeError, "floating-point"),
    (lambda: data.ObstacleCourse().rollout(lambda obs: obs * math.nan, 3), ValueError, "non-finite"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_mixture_policy_is_a_conditional_exact_likelihood_model(demos):
    torch.manual_seed(0)
    policy = applications.MixturePolicy(num_components=3, hidden=16, layers=1)
    assert policy.likelihood is base.Likelihood.EXACT and policy.is_conditional
    obs, actions = demos.observations[:7], demos.actions[:7]
    log_prob = policy.log_prob(actions, context=obs)
    assert log_prob.shape == (7,) and bool(torch.isfinite(log_prob).all())
    # one component: the density is a diagonal Gaussian, checked against torch.distributions
    single = applications.MixturePolicy(num_components=1, hidden=16, layers=1)
    _, means, log_stds = single.mixture_parameters(obs)
    expected = torch.distributions.Normal(means[:, 0], log_stds[:, 0].exp()).log_prob(actions).sum(1)
    assert torch.allclose(single.log_prob(actions, context=obs), expected, atol=1e-5)
    assert torch.allclose(policy.loss(actions, context=obs), -log_prob.mean())
    sample = policy.sample(7, context=obs, generator=torch.Generator().manual_seed(1))
    again = policy.sample(7, context=obs, generator=torch.Generator().manual_seed(1))
    assert sample.shape == (7, 2) and torch.equal(sample, again)
    assert policy.sample(0, context=obs[:0]).shape == (0, 2)
    with pytest.raises(ValueError, match="context"):
        policy.sample(3)
    with pytest.raises(ValueError, match="one observation per action"):
        policy.sample(3, context=obs)
    with pytest.raises(ValueError, match="context"):
        policy.log_prob(actions)
    with pytest.raises(ValueError, match="one observation per action"):
        policy.log_prob(actions, context=obs[:3])
    with pytest.raises(ValueError, match="observations"):
        policy.log_prob(actions, context=obs[:, :1])
    history = train.fit(policy, (actions, obs), step=train.LossStep(policy, context=True), num_steps=2,
                        batch_size=4, progress=False)
    assert history.num_steps == 2


def test_the_regression_policy_fits_the_conditional_mean(demos):
    policy = applications.RegressionPolicy(hidden=16, layers=1)
    obs, actions = demos.observations[:5], demos.actions[:5]
    assert policy.act(obs).shape == (5, 2)
    assert torch.allclose(policy.loss(actions, context=obs), ((policy(obs) - actions) ** 2).mean())
    with pytest.raises(ValueError, match="context"):
        policy.loss(actions)
    with pytest.raises(TypeError, match="BehaviourData"):
        applications.train_policy(policy, "demos")


def test_a_mixture_policy_succeeds_where_a_regression_policy_crashes(demos):
    # Measured over seeds 0..9 with this recipe (100 demonstrations, 800 steps, width 64, 100 episodes):
    # mixture 0.61..0.83 success, regression 0.00..0.24, gap >= 0.49; the thresholds leave a margin.
    course = demos.course
    rates = {}
    for name, make in (("regression", applications.RegressionPolicy), ("mixture", applications.MixturePolicy)):
        torch.manual_seed(0)
        policy = make(hidden=64, layers=2)
        applications.train_policy(policy, demos, num_steps=800, seed=0)
        policy.eval()
        rates[name] = course.rollout(policy.act, 100, seed=0)
    assert rates["regression"].success_rate <= 0.4 and rates["regression"].collision_rate >= 0.6, rates
    assert rates["mixture"].success_rate >= 0.45, rates
    assert rates["mixture"].success_rate - rates["regression"].success_rate >= 0.3


def test_the_diffusion_policy_takes_the_observations_as_context(demos):
    torch.manual_seed(0)
    policy = applications.DiffusionPolicy(num_steps=4, hidden=16, layers=1, time_dim=4)
    assert policy.likelihood is base.Likelihood.BOUND and policy.is_conditional
    obs, actions = demos.observations[:6], demos.actions[:6]
    loss = policy.loss(actions, context=obs)
    assert loss.shape == () and loss.requires_grad
    bound = policy.log_prob_bound(actions, context=obs)
    assert bound.shape == (6,) and bool(torch.isfinite(bound).all())
    sample = policy.act(obs, generator=torch.Generator().manual_seed(2))
    assert sample.shape == (6, 2) and torch.equal(sample, policy.act(obs, generator=torch.Generator().manual_seed(2)))
    # the observation changes the prediction: the network reads it
    eps = policy.denoiser(actions, torch.full((6,), 0.5), obs)
    assert not torch.allclose(eps, policy.denoiser(actions, torch.full((6,), 0.5), obs + 1.0))
    with pytest.raises(ValueError, match="context"):
        policy.loss(actions)
    with pytest.raises(ValueError, match="one observation per action"):
        policy.sample(3, context=obs)
    with pytest.raises(ValueError, match="guidance"):
        policy.sample(6, context=obs, guidance_scale=1.0)
    history = applications.train_policy(policy, (obs, actions), num_steps=2, batch_size=4)
    assert history.num_steps == 2
