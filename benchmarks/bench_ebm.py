"""Benchmark of the energy-based training methods of dgm_utils.energy on the 2-D toys (issue 13).

For each method (contrastive divergence with persistent chains, denoising, sliced and exact score matching,
noise-contrastive estimation), each toy and each seed, one ``MLPEnergy`` is trained with ``dgm_utils.train.fit``
for a fixed number of steps (the recipe's), normalized by quadrature over the toy's box (``QuadratureNormalized``)
and scored by KL(p || p_theta) = E_p[log p - log p_theta] on 50 000 exact samples (``metrics.kl_gap``). Also
printed: the CPU seconds of training (``time.process_time``, one thread) and the quadrature's error estimate of
log Z (the difference between the grids of 200 and 400 cells per axis).

Targets of issue 13: every method on ring, banana and checkerboard KL <= 0.1 nats, the best <= 0.05, each in <= 60 s
of CPU.

A recipe is ``RECIPES[method]`` updated by ``TOY_RECIPES[(method, toy)]``; ``--steps`` and ``--set key=value``
override it for experiments (the table in benchmarks/README.md uses neither).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_ebm.py --seeds 0,1,2
    .venv/bin/python benchmarks/bench_ebm.py --methods dsm,cd --toys ring --steps 500 --seeds 0
    .venv/bin/python benchmarks/bench_ebm.py --methods nce --toys ring --set lr=3e-3 --set schedule=constant
"""

import argparse
import ast
import math
import time

import torch

from dgm_utils import data, energy, metrics, train

METHODS = ("cd", "dsm", "ssm", "exact_sm", "nce")
TOYS = ("ring", "banana", "checkerboard")

#: options every recipe starts from: Adam, its learning rate decayed by a cosine from ``lr`` to 0 (fit's
#: ``lr_schedule="cosine"``; ``schedule="constant"`` keeps it)
COMMON = dict(steps=3000, lr=1e-2, schedule="cosine", batch_size=256, hidden=64, layers=3)
#: per-method training options (see ``_loss_fn`` for what each key does)
RECIPES = {
    # persistent Langevin chains (a replay buffer, 5% restarted from noise each step), 15 steps of 1e-2
    "cd": dict(chain_steps=15, chain_step_size=1e-2, buffer_size=4096, reinit=energy.DEFAULT_REINIT, alpha=0.1,
               sampler="langevin"),
    # one small noise level, a large batch against the variance of the small-sigma objective
    "dsm": dict(steps=5000, batch_size=1024, sigma_max=0.05, sigma_min=0.05, anneal_fraction=0.0,
                wide_fraction=0.0, sigma_wide=0.5, antithetic=False),
    # sliced / exact score matching of the data noised at sigma 0.05 (without noise, nothing holds the energy
    # down in the light squares of the checkerboard: 0.272 nats there)
    "ssm": dict(steps=5000, sigma_max=0.05, sigma_min=0.05, anneal_fraction=0.0, projection="gaussian"),
    "exact_sm": dict(steps=2000, sigma_max=0.05, sigma_min=0.05, anneal_fraction=0.0),
    "nce": dict(noise="gaussian", noise_ratio=4),
}
#: per (method, toy) changes to the method's recipe
TOY_RECIPES = {
    # noise uniform over the box (the board fills it); a larger learning rate for the sharp edges of the squares
    ("nce", "checkerboard"): dict(steps=5000, lr=2e-2, noise="uniform"),
    # sigma 0.5 -> 0.05 over the first 30% of the steps: the large noise sets the weights of the separated modes,
    # to which score matching at sigma 0.05 is blind (constant 0.05: seed 2 put 0.129 nats in them)
    ("dsm", "ring"): dict(sigma_max=0.5, anneal_fraction=0.3),
    ("ssm", "ring"): dict(sigma_max=0.5, anneal_fraction=0.3),
    # sigma 0.3 -> 0.03 over the first 60% of the steps: 0.03 blurs the squares' edges less than 0.05 (about 1.6
    # sigma nats of KL), and antithetic pairs (eps, -eps) keep its gradient from getting noisier; the 2N score
    # evaluations of a batch of 512 cost what 1024 plain ones did (constant 0.05, batch 1024: 0.100-0.102)
    ("dsm", "checkerboard"): dict(batch_size=512, antithetic=True, sigma_max=0.3, sigma_min=0.03,
                                  anneal_fraction=0.6),
    # as dsm, sigma 0.3 -> 0.03 over 60%; a batch of 512 and Rademacher projections (the lower-variance trace
    # estimate) keep the squares' masses from drifting apart once sigma is small (batch 256, Gaussian: a seed at
    # 0.103 with masses 0.069-0.164). At lr 1e-2 and constant sigma 0.05 seed 2 diverged (the energy fell without
    # bound in part of the box): lr 5e-3
    ("ssm", "checkerboard"): dict(lr=5e-3, sigma_max=0.3, sigma_min=0.03, anneal_fraction=0.6, batch_size=512,
                                  projection="rademacher"),
    # MALA chains: ULA's step-size bias threw the chains back from the squares' walls, and the learned density
    # piled up along them to compensate (0.27-0.31 nats); steps of 2e-2 (MALA stays exact) and 4000 steps
    ("cd", "checkerboard"): dict(sampler="mala", chain_step_size=2e-2, steps=4000),
    ("exact_sm", "ring"): dict(sigma_max=0.5, anneal_fraction=0.3),
}


def recipe_of(method, toy_name, overrides=None):
    """The options of one run: COMMON, then RECIPES[method], TOY_RECIPES[(method, toy)] and ``overrides``."""
    recipe = dict(COMMON)
    recipe.update(RECIPES[method])
    recipe.update(TOY_RECIPES.get((method, toy_name), {}))
    recipe.update(overrides or {})
    return recipe


class Mixture:
    """An equal-weight mixture of noise distributions (each with ``sample`` and ``log_prob``)."""

    def __init__(self, *components):
        self.components = components

    def sample(self, num_samples, generator=None):
        choice = torch.randint(len(self.components), (num_samples,), generator=generator)  # (n,)
        x = torch.empty(num_samples, 2)
        for index, component in enumerate(self.components):
            chosen = choice == index
            x[chosen] = component.sample(int(chosen.sum()), generator=generator).float()
        return x

    def log_prob(self, x):
        parts = torch.stack([component.log_prob(x).to(x.dtype) for component in self.components])  # (K, n)
        return torch.logsumexp(parts, dim=0) - math.log(len(self.components))


def _noise(toy, kind):
    if kind == "gaussian":
        return data.box_gaussian(toy.bounds)
    if kind == "uniform":
        return data.UniformBox(toy.bounds)
    if kind == "uniform+gaussian":
        return Mixture(data.UniformBox(toy.bounds), data.box_gaussian(toy.bounds))
    raise ValueError(f"noise must be 'gaussian', 'uniform' or 'uniform+gaussian', got {kind!r}")


class NoiseSchedule:
    """sigma at each training step: geometric from sigma_max to sigma_min over the first ``anneal_fraction`` of the
    steps, then sigma_min (sigma 0: no noise; a constant sigma when both are equal)."""

    def __init__(self, sigma_max, sigma_min, anneal_fraction, num_steps):
        self.sigma_max, self.sigma_min = sigma_max, sigma_min
        self.anneal_steps = max(1, round(anneal_fraction * num_steps))
        self.calls = 0

    def __call__(self):
        t = min(1.0, self.calls / self.anneal_steps)
        self.calls += 1
        if self.sigma_max == self.sigma_min or self.sigma_min == 0.0 and t >= 1.0:
            return self.sigma_min
        if self.sigma_min == 0.0:  # linear down to 0
            return self.sigma_max * (1.0 - t)
        return self.sigma_max * (self.sigma_min / self.sigma_max) ** t


def _mixed_dsm(sigma, wide_fraction, sigma_wide, antithetic, generator):
    """Denoising score matching with a fraction ``wide_fraction`` of every batch noised at ``sigma_wide`` (it
    keeps the energy anchored where the small noise never reaches) and the rest at the scheduled sigma."""
    def loss(model, x):
        num_wide = round(wide_fraction * len(x))
        small = energy.denoising_score_matching_loss(model.score, x[num_wide:], sigma(), antithetic=antithetic,
                                                     generator=generator)
        if not num_wide:
            return small
        wide = energy.denoising_score_matching_loss(model.score, x[:num_wide], sigma_wide, generator=generator)
        return (num_wide * wide + (len(x) - num_wide) * small) / len(x)
    return loss


def _loss_fn(method, model, toy, recipe, seed):
    generator = torch.Generator().manual_seed(seed)
    if method == "cd":
        return energy.ContrastiveDivergence(model.initial_points, num_steps=recipe["chain_steps"],
                                            step_size=recipe["chain_step_size"], buffer_size=recipe["buffer_size"],
                                            reinit=recipe["reinit"], alpha=recipe["alpha"], generator=generator,
                                            sampler=recipe["sampler"])
    if method == "nce":
        return energy.NoiseContrastiveEstimation(_noise(toy, recipe["noise"]), noise_ratio=recipe["noise_ratio"],
                                                 generator=generator)
    sigma = NoiseSchedule(recipe["sigma_max"], recipe["sigma_min"], recipe["anneal_fraction"], recipe["steps"])
    if method == "dsm":
        return _mixed_dsm(sigma, recipe["wide_fraction"], recipe["sigma_wide"], recipe["antithetic"], generator)

    def noised(x):  # sliced / exact score matching of the data convolved with N(0, sigma^2 I)
        scale = sigma()
        return x + scale * torch.randn(x.shape, generator=generator).to(x) if scale > 0 else x
    if method == "ssm":
        return lambda m, x: energy.sliced_score_matching_loss(m.score, noised(x), variance_reduced=True,
                                                              projection=recipe["projection"], generator=generator)
    return lambda m, x: energy.exact_score_matching_loss(m.energy, noised(x))


def train_energy(method, toy_name, seed, recipe):
    """(trained MLPEnergy, toy, CPU seconds of training) of one run of ``recipe`` (also used by cross_family.py)."""
    toy = data.make_toy(toy_name)
    (x_low, x_high), (y_low, y_high) = toy.bounds
    torch.manual_seed(seed)
    model = energy.MLPEnergy(2, hidden=recipe["hidden"], layers=recipe["layers"], confinement=0.0,
                             init_bounds=(min(x_low, y_low), max(x_high, y_high)), learn_log_z=method == "nce")
    start = time.process_time()
    if recipe["schedule"] not in ("constant", "cosine"):
        raise SystemExit(f"schedule must be 'constant' or 'cosine', got {recipe['schedule']!r}")
    train.fit(model, toy, loss_fn=_loss_fn(method, model, toy, recipe, seed), num_steps=recipe["steps"],
              batch_size=recipe["batch_size"], lr=recipe["lr"],
              lr_schedule="cosine" if recipe["schedule"] == "cosine" else None, seed=seed, progress=False)
    return model, toy, time.process_time() - start


def run(method, toy_name, seed, recipe):
    """(KL in nats, quadrature error of log Z, CPU seconds) of one trained energy."""
    model, toy, seconds = train_energy(method, toy_name, seed, recipe)
    _, error = energy.log_partition_refinement(model.energy, toy.bounds, (200, 400))
    normalized = energy.QuadratureNormalized(model.energy, toy.bounds)
    return float(metrics.kl_gap(normalized, toy)), error, seconds


def _parse_overrides(pairs):
    overrides = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in COMMON and not any(key in recipe for recipe in RECIPES.values()):
            raise SystemExit(f"unknown recipe option {key!r}")
        try:
            overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[key] = value
    return overrides


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--toys", default=",".join(TOYS))
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--steps", type=int, default=None, help="override every recipe's step count")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe option")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = _parse_overrides(args.set)
    if args.steps is not None:
        overrides["steps"] = args.steps
    print(f"{'method':9s} {'toy':13s} {'seed':>4s} {'KL nats':>8s} {'log Z err':>9s} {'CPU s':>6s}")
    for method in args.methods.split(","):
        if method not in METHODS:
            raise SystemExit(f"unknown method {method!r}; expected one of {METHODS}")
        for toy_name in args.toys.split(","):
            recipe = recipe_of(method, toy_name, overrides)
            for seed in map(int, args.seeds.split(",")):
                kl, error, seconds = run(method, toy_name, seed, recipe)
                print(f"{method:9s} {toy_name:13s} {seed:4d} {kl:8.4f} {error:9.2e} {seconds:6.1f}", flush=True)


if __name__ == "__main__":
    main()
