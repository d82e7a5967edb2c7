"""A known expert with two ways around an obstacle: behaviour data for imitation learning (chapter 7).

An agent in the plane starts near ``start`` and must reach the disc of radius ``goal_radius`` around ``goal``; a round
obstacle of radius ``obstacle_radius`` around ``obstacle`` lies on the straight line between them. The expert picks a
side s in {-1 (left), +1 (right)} with probability 1/2 at the start of each episode and keeps it. It walks straight
up to the decision line y = d = obstacle_y - obstacle_radius - decision_gap; from there, while below the obstacle's
centre and within pass_offset of it sideways, it sidesteps in the direction (s cos theta, sin theta), theta =
``sidestep_angle`` (the only place where the side shows); then it heads for the goal. By default the start lies
above the decision line (the expert decides at once) and a step is half the obstacle's radius: a policy that
averages the two sidesteps walks straight at the obstacle and has only a few steps to drift off that line. Each step is

    a = step_size * (target - p) / ||target - p|| + noise_std * eps,   eps ~ N(0, I)

(target - p points in the direction of the phase; the last step toward the goal is shortened to the distance left).
The observation is the position p (obs_dim = 2); the side is not observed, so p(a | p) is bimodal at the start and
a policy that regresses E[a | p] averages the two modes into "straight ahead", into the obstacle. (With small steps a
regression policy often escapes: off the data, between the two branches, its extrapolation pushes it toward the
nearer branch, and many small steps amplify that drift until it commits to one side.)

:class:`ObstacleCourse` holds the geometry and runs any policy, a function obs (B, 2) -> action (B, 2) that may be
stochastic, in closed loop (:meth:`ObstacleCourse.rollout`); :func:`make_behaviour_dataset` records the expert.
"""

import dataclasses
import math

import torch

from dgm_utils._validation import check_number, check_points, check_positive_int, check_seed

__all__ = ["ObstacleCourse", "Rollout", "BehaviourData", "make_behaviour_dataset", "MAX_ACTION_SCALE"]

#: In a rollout, actions are clipped to norm MAX_ACTION_SCALE * step_size (a policy cannot jump over the
#: obstacle).
MAX_ACTION_SCALE = 2.0


@dataclasses.dataclass(frozen=True)
class Rollout:
    """What :meth:`ObstacleCourse.rollout` measured.

    Attributes:
        success_rate: fraction of episodes that reached the goal disc without touching the obstacle.
        collision_rate: fraction of episodes whose path entered the obstacle (they stop there).
        trajectories: positions (num_episodes, max_steps + 1, 2); a finished episode repeats its last position.
        success, collided: per-episode booleans (num_episodes,).
        num_steps: steps each episode took until it ended (max_steps when it timed out).
    """

    success_rate: float
    collision_rate: float
    trajectories: torch.Tensor
    success: torch.Tensor
    collided: torch.Tensor
    num_steps: torch.Tensor


@dataclasses.dataclass(frozen=True)
class BehaviourData:
    """The expert's demonstrations: observations (N, 2) and the actions taken there (N, 2), the episode (N,) and
    the side (N,) in {-1, +1} of every row, and the :class:`ObstacleCourse` they came from."""

    observations: torch.Tensor
    actions: torch.Tensor
    episode: torch.Tensor
    side: torch.Tensor
    course: "ObstacleCourse"


class ObstacleCourse:
    """Start, goal and a round obstacle between them, with the two-sided expert of the module docstring."""

    obs_dim = 2
    action_dim = 2

    def __init__(self, *, start=(0.0, -2.0), goal=(0.0, 3.0), obstacle=(0.0, 0.0), obstacle_radius=1.0,
                 goal_radius=0.5, start_std=0.02, step_size=0.5, noise_std=0.02, decision_gap=1.5,
                 pass_offset=2.0, sidestep_angle=math.pi / 4, max_steps=40):
        self.start = self._point(start, "start")
        self.goal = self._point(goal, "goal")
        self.obstacle = self._point(obstacle, "obstacle")
        self.obstacle_radius = check_number(obstacle_radius, "obstacle_radius")
        self.goal_radius = check_number(goal_radius, "goal_radius")
        self.start_std = check_number(start_std, "start_std", allow_zero=True)
        self.step_size = check_number(step_size, "step_size")
        self.noise_std = check_number(noise_std, "noise_std", allow_zero=True)
        self.decision_gap = check_number(decision_gap, "decision_gap", allow_zero=True)
        self.pass_offset = check_number(pass_offset, "pass_offset")
        self.sidestep_angle = check_number(sidestep_angle, "sidestep_angle")
        if not self.sidestep_angle < math.pi / 2:
            raise ValueError(f"sidestep_angle must be in (0, pi/2) (sideways and up), got {sidestep_angle!r}")
        self.max_steps = check_positive_int(max_steps, "max_steps")
        if self.pass_offset <= self.obstacle_radius:
            raise ValueError(f"pass_offset must exceed obstacle_radius ({self.obstacle_radius}) for the expert to pass "
                             f"the obstacle, got {self.pass_offset}")
        if torch.dist(self.start, self.obstacle) <= self.obstacle_radius + 3 * self.start_std:
            raise ValueError("start must lie well outside the obstacle")

    @staticmethod
    def _point(value, name):
        try:
            point = torch.as_tensor(value, dtype=torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(f"{name} must be a pair of numbers (x, y), got {value!r}") from None
        if point.shape != (2,) or not bool(torch.isfinite(point).all()):
            raise ValueError(f"{name} must be a pair of finite numbers (x, y), got {value!r}")
        return point

    def __repr__(self):
        return (f"ObstacleCourse(start={self.start.tolist()}, goal={self.goal.tolist()}, "
                f"obstacle={self.obstacle.tolist()}, obstacle_radius={self.obstacle_radius}, "
                f"max_steps={self.max_steps})")

    # --- the expert ---------------------------------------------------------------------------------------------

    def initial_positions(self, num_episodes, generator=None):
        """Start positions (num_episodes, 2): start + start_std * eps."""
        eps = torch.randn(num_episodes, 2, generator=generator)
        return self.start + self.start_std * eps

    def expert_action(self, positions, side, generator=None):
        """The expert's step (B, 2) at positions (B, 2) for sides (B,) in {-1, +1} (module docstring)."""
        check_points(positions, "positions", dim=2)
        decision_y = self.obstacle[1] - self.obstacle_radius - self.decision_gap
        x, y = positions[:, 0:1], positions[:, 1:2]  # (B, 1) each
        approach = y < decision_y  # (B, 1): straight up
        sidestep = ~approach & (y < self.obstacle[1]) & ((x - self.obstacle[0]).abs() < self.pass_offset)
        up = torch.stack([x[:, 0], y[:, 0] + 1.0], dim=1)  # (B, 2)
        sideways = positions + torch.stack([side * math.cos(self.sidestep_angle),
                                            torch.full_like(side, math.sin(self.sidestep_angle))], dim=1)
        target = torch.where(approach, up, torch.where(sidestep, sideways, self.goal.expand_as(positions)))
        below = approach | sidestep  # full steps; toward the goal the last step is shortened
        offset = target - positions  # (B, 2)
        distance = offset.norm(dim=1, keepdim=True).clamp_min(1e-12)  # (B, 1)
        length = torch.where(below, torch.full_like(distance, self.step_size), distance.clamp_max(self.step_size))
        noise = self.noise_std * torch.randn(positions.shape, generator=generator)
        return length * offset / distance + noise  # (B, 2)

    def expert_policy(self, num_episodes, generator=None):
        """A policy obs (num_episodes, 2) -> action for :meth:`rollout`: the expert, each episode on a side drawn
        once (left or right with probability 1/2); ``generator`` draws the sides and the action noise."""
        check_positive_int(num_episodes, "num_episodes")
        side = torch.randint(2, (num_episodes,), generator=generator).to(torch.get_default_dtype()) * 2 - 1

        def policy(obs):
            return self.expert_action(obs, side, generator)

        policy.side = side
        return policy

    # --- closed loop --------------------------------------------------------------------------------------------

    def hits_obstacle(self, p, q):
        """True (B,) where the segment from p (B, 2) to q (B, 2) passes within obstacle_radius of the centre."""
        segment = q - p  # (B, 2)
        length_sq = (segment**2).sum(1).clamp_min(1e-12)
        fraction = (((self.obstacle - p) * segment).sum(1) / length_sq).clamp(0.0, 1.0)  # (B,)
        closest = p + fraction[:, None] * segment
        return (closest - self.obstacle).norm(dim=1) < self.obstacle_radius

    def rollout(self, policy, num_episodes, seed=0):
        """Run ``policy`` (obs (B, 2) -> action (B, 2), called once per step on all episodes, finished ones
        included) from num_episodes start positions for at most max_steps steps; actions are clipped to norm
        MAX_ACTION_SCALE * step_size. An episode ends when its step crosses the obstacle (collision) or lands in
        the goal disc (success). ``seed`` draws the start positions (and seeds torch's global generator for the
        policy's own randomness, restored afterwards), so a rollout is deterministic given the seed.

        Returns:
            :class:`Rollout` with the success and collision rates and the trajectories.
        """
        if not callable(policy):
            raise TypeError(f"policy must be callable as policy(obs) -> action, got {type(policy).__name__}")
        check_positive_int(num_episodes, "num_episodes")
        check_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        positions = self.initial_positions(num_episodes, generator)  # (B, 2)
        trajectories = [positions]
        done = torch.zeros(num_episodes, dtype=torch.bool)
        success = torch.zeros_like(done)
        collided = torch.zeros_like(done)
        num_steps = torch.full((num_episodes,), self.max_steps)
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(seed)
            for step in range(self.max_steps):
                action = policy(positions.clone())
                self._check_action(action, num_episodes)
                action = action.to(positions.dtype)
                norm = action.norm(dim=1, keepdim=True).clamp_min(1e-12)
                action = action * (MAX_ACTION_SCALE * self.step_size / norm).clamp_max(1.0)
                moved = positions + action
                crash = self.hits_obstacle(positions, moved) & ~done
                arrive = ((moved - self.goal).norm(dim=1) < self.goal_radius) & ~done & ~crash
                positions = torch.where(done[:, None], positions, moved)
                collided |= crash
                success |= arrive
                num_steps[(crash | arrive)] = step + 1
                done |= crash | arrive
                trajectories.append(positions)
                if bool(done.all()):
                    trajectories += [positions] * (self.max_steps - step - 1)
                    break
        return Rollout(success_rate=float(success.float().mean()), collision_rate=float(collided.float().mean()),
                       trajectories=torch.stack(trajectories, dim=1), success=success, collided=collided,
                       num_steps=num_steps)

    @staticmethod
    def _check_action(action, num_episodes):
        if not isinstance(action, torch.Tensor) or not action.is_floating_point():
            raise TypeError(f"policy(obs) must return a floating-point torch.Tensor (B, 2), got "
                            f"{getattr(action, 'dtype', type(action).__name__)}")
        if action.shape != (num_episodes, 2):
            raise ValueError(f"policy(obs) must return actions of shape ({num_episodes}, 2), got {tuple(action.shape)}")
        if not bool(torch.isfinite(action).all()):
            raise ValueError("policy(obs) returned non-finite actions")


def make_behaviour_dataset(num_episodes, seed=0, course=None):
    """Demonstrations of the expert on ``course`` (default ``ObstacleCourse()``): every (position, step) pair of
    ``num_episodes`` successful episodes, in episode order. Deterministic given ``seed``.

    Returns:
        :class:`BehaviourData`: observations (N, 2), actions (N, 2), episode (N,), side (N,) and the course.
    """
    check_positive_int(num_episodes, "num_episodes")
    check_seed(seed)
    if course is None:
        course = ObstacleCourse()
    elif not isinstance(course, ObstacleCourse):
        raise TypeError(f"course must be an ObstacleCourse or None, got {type(course).__name__}")
    generator = torch.Generator().manual_seed(seed)
    expert = course.expert_policy(num_episodes, generator)
    recorded = []

    def recording(obs):
        action = expert(obs)
        recorded.append((obs, action))
        return action

    result = course.rollout(recording, num_episodes, seed=seed)
    observations, actions = (torch.stack(parts, dim=1) for parts in zip(*recorded))  # (B, T, 2) each
    steps = torch.arange(observations.shape[1])
    keep = (steps[None, :] < result.num_steps[:, None]) & result.success[:, None]  # (B, T)
    episode = torch.arange(num_episodes)[:, None].expand_as(keep)
    return BehaviourData(observations=observations[keep], actions=actions[keep], episode=episode[keep],
                         side=expert.side[:, None].expand_as(keep)[keep], course=course)
