"""Benchmark of the energy-based training methods of dgm_utils.energy on the 2-D toys (issue 13).

For each method (contrastive divergence with persistent chains, denoising, sliced and exact score matching,
noise-contrastive estimation), each toy and each seed, one ``MLPEnergy`` is trained with ``dgm_utils.train.fit``
for a fixed number of steps, normalized by quadrature over the toy's box (``QuadratureNormalized``) and scored by
KL(p || p_theta) = E_p[log p - log p_theta] on 50 000 exact samples (``metrics.kl_gap``). Also printed: the CPU
seconds of training (``time.process_time``, one thread) and the quadrature's error estimate of log Z (the
difference between the grids of 200 and 400 cells per axis).

Targets of issue 13: every method on ring, banana and checkerboard KL <= 0.1 nats, the best <= 0.05, each in <= 60 s
of CPU.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_ebm.py
    .venv/bin/python benchmarks/bench_ebm.py --methods dsm,cd --toys ring --steps 500 --seeds 0
"""

import argparse
import time

import torch

from dgm_utils import data, energy, metrics, train

METHODS = ("cd", "dsm", "ssm", "exact_sm", "nce")
#: per-method training options (steps are the command line's)
RECIPES = {
    "cd": dict(lr=1e-3, batch_size=256, chain_steps=30, chain_step_size=5e-3, buffer_size=4096, alpha=0.1),
    "dsm": dict(lr=1e-3, batch_size=256, noise_scale=0.1),
    "ssm": dict(lr=1e-3, batch_size=256),
    "exact_sm": dict(lr=1e-3, batch_size=256),
    "nce": dict(lr=1e-3, batch_size=256, noise_ratio=4),
}


def _box_gaussian(toy):
    """A Gaussian over the toy's box (centre, half-widths as standard deviations): NCE's noise."""
    (x_low, x_high), (y_low, y_high) = toy.bounds
    centre = torch.tensor([[(x_low + x_high) / 2, (y_low + y_high) / 2]])
    stds = torch.tensor([[(x_high - x_low) / 4, (y_high - y_low) / 4]])
    return data.GaussianMixture2D(centre, stds)


def _loss_fn(method, model, toy, recipe, seed):
    generator = torch.Generator().manual_seed(seed)
    if method == "cd":
        return energy.ContrastiveDivergence(model.initial_points, num_steps=recipe["chain_steps"],
                                            step_size=recipe["chain_step_size"], buffer_size=recipe["buffer_size"],
                                            alpha=recipe["alpha"], generator=generator)
    if method == "dsm":
        return None  # MLPEnergy.loss: denoising score matching at its noise_scale
    if method == "ssm":
        return lambda m, x: energy.sliced_score_matching_loss(m.score, x, variance_reduced=True, generator=generator)
    if method == "exact_sm":
        return lambda m, x: energy.exact_score_matching_loss(m.energy, x)
    return energy.NoiseContrastiveEstimation(_box_gaussian(toy), noise_ratio=recipe["noise_ratio"],
                                             generator=generator)


def run(method, toy_name, seed, steps, hidden=64, layers=3):
    """(KL in nats, quadrature error of log Z, CPU seconds) of one trained energy."""
    toy = data.make_toy(toy_name)
    recipe = RECIPES[method]
    (x_low, x_high), (y_low, y_high) = toy.bounds
    torch.manual_seed(seed)
    model = energy.MLPEnergy(2, hidden=hidden, layers=layers, confinement=0.0,
                             init_bounds=(min(x_low, y_low), max(x_high, y_high)),
                             noise_scale=recipe.get("noise_scale", 0.1), learn_log_z=method == "nce")
    start = time.process_time()
    train.fit(model, toy, loss_fn=_loss_fn(method, model, toy, recipe, seed), num_steps=steps,
              batch_size=recipe["batch_size"], lr=recipe["lr"], seed=seed, progress=False)
    seconds = time.process_time() - start
    _, error = energy.log_partition_refinement(model.energy, toy.bounds, (200, 400))
    normalized = energy.QuadratureNormalized(model.energy, toy.bounds)
    return float(metrics.kl_gap(normalized, toy)), error, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--toys", default="ring,banana,checkerboard")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"{'method':9s} {'toy':13s} {'seed':>4s} {'KL nats':>8s} {'log Z err':>9s} {'CPU s':>6s}")
    for method in args.methods.split(","):
        if method not in METHODS:
            raise SystemExit(f"unknown method {method!r}; expected one of {METHODS}")
        for toy_name in args.toys.split(","):
            for seed in map(int, args.seeds.split(",")):
                kl, error, seconds = run(method, toy_name, seed, args.steps)
                print(f"{method:9s} {toy_name:13s} {seed:4d} {kl:8.4f} {error:9.2e} {seconds:6.1f}", flush=True)


if __name__ == "__main__":
    main()
