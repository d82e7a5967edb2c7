"""Benchmark of the GANs of dgm_utils.implicit on the 8-Gaussian ring and the 25-Gaussian grid (issue 12).

For each toy, each critic (plain, PacGAN with ``pack`` 2 and 4) and each seed, one non-saturating GAN is trained
for a fixed number of steps with ``dgm_utils.train.fit`` and ``AdversarialStep`` (an EMA of the generator's
weights is what is sampled), then 2500 samples are scored with ``dgm_utils.implicit.mode_coverage``: modes
covered (a mode is covered when a sample lands within 3 standard deviations of its centre), the fraction of
high-quality samples (those within 3 standard deviations of some centre) and the reverse KL from the histogram of
high-quality samples over the modes to the uniform truth. The critic and the generator are 2-layer MLPs of width
128 with Adam at two learning rates (critic 1e-3, generator 1e-4, betas (0.5, 0.9)), batch 256. Also printed:
the median distance of the samples to their nearest centre in standard deviations (about 1.2 for exact samples:
a larger value means modes too wide) and the CPU seconds of training (``time.process_time``, one thread).

Targets of issue 12 (3 seeds, <= 90 s of CPU each): ring 8/8 modes and >= 90% high quality; grid >= 24/25 modes
and >= 90% high quality; reverse KL <= 0.05. Anchors (PacGAN, Lin et al. 2018, Table 1): plain GAN 6.3/8 ring
(98.2% HQ), 17.3/25 grid (94.8%); PacGAN4 7.8/8 and 24.8/25 (93.6%).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_gan.py
    .venv/bin/python benchmarks/bench_gan.py --toys grid --packs 2 --seeds 0,1,2 --steps 10000 --generator-lr 3e-4

Every run is seeded, so it prints the same figures on one machine (the load changes only the CPU seconds).
"""

import argparse
import time

import torch

from dgm_utils import data, implicit, train

#: the recipe found by the sweep recorded in benchmarks/README.md
DEFAULTS = dict(steps=35_000, critic_lr=1e-3, generator_lr=1e-4, batch_size=256, hidden=128, layers=2, latent_dim=2,
                ema=0.999)


def train_gan(toy, pack, seed, *, steps, critic_lr, generator_lr, batch_size, hidden, layers, latent_dim, ema):
    """(sampler of the EMA generator, CPU seconds) of one non-saturating GAN trained on `toy`."""
    torch.manual_seed(seed)
    gan = implicit.GAN(implicit.MLPGenerator(latent_dim, 2, hidden=hidden, layers=layers),
                       implicit.MLPCritic(2, hidden=hidden, layers=layers, pack=pack), objective="non_saturating")

    def adam(lr):
        return lambda parameters: torch.optim.Adam(parameters, lr=lr, betas=(0.5, 0.9))

    # Two time-scales (Heusel et al. 2017): a critic 10x faster than the generator tracks it closely enough to
    # shape each mode's width; with one rate for both the modes stay about twice as wide as the data's.
    adversarial = train.AdversarialStep(gan, critic_optimizer=adam(critic_lr), generator_optimizer=adam(generator_lr))
    step = train.EMA(adversarial, ema, module=gan.generator)
    start = time.process_time()
    train.fit(gan, toy, step=step, num_steps=steps, batch_size=batch_size, seed=seed, progress=False)
    return implicit.GAN(step.averaged_model, gan.critic), time.process_time() - start


def score(sampler, toy, num_samples=2500):
    """(ModeCoverage, median distance to the nearest centre in standard deviations) of the sampler's samples."""
    samples = sampler.sample(num_samples, generator=torch.Generator().manual_seed(0))  # (S, 2)
    distances = torch.cdist(samples.double(), toy.means.double()) / toy.stds[:, 0].double()  # (S, K)
    return implicit.mode_coverage(samples, toy), float(distances.min(dim=1).values.median())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--toys", default="ring,grid", help="comma-separated: ring, grid")
    parser.add_argument("--packs", default="1,2,4", help="critic packing degrees, comma-separated")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=1)
    for name, value in DEFAULTS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    options = {name: getattr(args, name) for name in DEFAULTS}
    print(f"recipe: {options}")
    print(f"{'toy':5s} {'pack':>4s} {'seed':>4s} {'modes':>6s} {'HQ %':>6s} {'rev KL':>7s} {'median d/std':>12s} "
          f"{'CPU s':>6s}")
    for toy_name in args.toys.split(","):
        toy = getattr(data, toy_name)()
        exact, exact_median = score(toy, toy)
        print(f"{toy_name:5s} {'exact':>9s} {exact.modes_covered:3d}/{len(toy.means):<2d} "
              f"{100 * exact.high_quality:6.1f} {exact.reverse_kl:7.3f} {exact_median:12.2f}")
        for pack in map(int, args.packs.split(",")):
            for seed in map(int, args.seeds.split(",")):
                sampler, seconds = train_gan(toy, pack, seed, **options)
                coverage, median = score(sampler, toy)
                print(f"{toy_name:5s} {pack:4d} {seed:4d} {coverage.modes_covered:3d}/{len(toy.means):<2d} "
                      f"{100 * coverage.high_quality:6.1f} {coverage.reverse_kl:7.3f} {median:12.2f} "
                      f"{seconds:6.1f}", flush=True)


if __name__ == "__main__":
    main()
