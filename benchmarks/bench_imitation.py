"""Benchmark of imitation learning as P(actions | observations) on the two-sided obstacle course (issue 15).

For each seed, ``make_behaviour_dataset(num_demos, seed)`` records the expert of ``dgm_utils.data.ObstacleCourse``
(it passes the obstacle on the left or on the right, probability 1/2 each, one side per episode); a
``RegressionPolicy`` (MSE, predicts E[a | o]), a ``MixturePolicy`` (a mixture density network with K Gaussian
components, exact NLL) and a ``DiffusionPolicy`` (a DDPM over actions, the observation as context; 3 hidden layers,
100 diffusion steps, trained for ``--diffusion-steps``) are trained on it with ``dgm_utils.applications.train_policy``
(``dgm_utils.train.fit``, a fixed number of steps, Adam with a cosine schedule) and run in closed loop for
``--episodes`` episodes with ``ObstacleCourse.rollout``. Printed: success rate (goal reached without touching the
obstacle), collision rate, and the CPU seconds of training (``time.process_time``, one thread). The expert itself
is run on the same course.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_imitation.py
    .venv/bin/python benchmarks/bench_imitation.py --seeds 0,1,2,3,4 --steps 3000 --components 3
    .venv/bin/python benchmarks/bench_imitation.py --demos 400 --episodes 500   # chapter 8b's data set size

Every run is seeded, so it prints the same figures on one machine (the load changes only the CPU seconds).
"""

import argparse
import time

import torch

from dgm_utils import applications, data


def evaluate(course, policy, episodes, seed):
    result = course.rollout(policy, episodes, seed=seed)
    return result.success_rate, result.collision_rate


def run_seed(seed, *, demos, episodes, steps, hidden, layers, components, lr, diffusion_steps):
    """Rows (name, success, collision, CPU seconds) of the expert and both policies for one seed."""
    behaviour = data.make_behaviour_dataset(demos, seed=seed)
    course = behaviour.course
    rollout_seed = 1000 + seed
    expert = course.expert_policy(episodes, torch.Generator().manual_seed(rollout_seed))
    rows = [("expert", *evaluate(course, expert, episodes, rollout_seed), 0.0)]
    policies = {"regression (MSE)": lambda: applications.RegressionPolicy(hidden=hidden, layers=layers),
                f"mixture density (K={components})": lambda: applications.MixturePolicy(
                    num_components=components, hidden=hidden, layers=layers),
                "diffusion (DDPM, T=100)": lambda: applications.DiffusionPolicy(hidden=hidden, layers=3)}
    for name, make in policies.items():
        torch.manual_seed(seed)
        policy = make()
        start = time.process_time()
        num_steps = diffusion_steps if isinstance(policy, applications.DiffusionPolicy) else steps
        applications.train_policy(policy, behaviour, num_steps=num_steps, lr=lr, seed=seed)
        seconds = time.process_time() - start
        policy.eval()
        rows.append((name, *evaluate(course, policy.act, episodes, rollout_seed), seconds))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--demos", type=int, default=200, help="expert episodes recorded for training")
    parser.add_argument("--episodes", type=int, default=200, help="closed-loop episodes per evaluation")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--diffusion-steps", type=int, default=3000)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--components", type=int, default=5)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    print(f"torch threads {torch.get_num_threads()}; {args.demos} demonstrations, {args.episodes} episodes, "
          f"{args.steps} steps ({args.diffusion_steps} for diffusion), hidden {args.hidden} x {args.layers}")
    print("| seed | policy | success | collision | train CPU (s) |")
    print("| --- | --- | --- | --- | --- |")
    totals = {}
    for seed in seeds:
        rows = run_seed(seed, demos=args.demos, episodes=args.episodes, steps=args.steps, hidden=args.hidden,
                        layers=args.layers, components=args.components, lr=args.lr,
                        diffusion_steps=args.diffusion_steps)
        for name, success, collision, seconds in rows:
            print(f"| {seed} | {name} | {success:.1%} | {collision:.1%} | {seconds:.1f} |", flush=True)
            totals.setdefault(name, []).append((success, collision, seconds))
    for name, values in totals.items():
        success, collision, seconds = (sum(v[i] for v in values) / len(values) for i in range(3))
        print(f"| mean | {name} | {success:.1%} | {collision:.1%} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
