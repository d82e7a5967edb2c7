"""Benchmark of the two-sample tests and the sample metrics of dgm_utils.metrics (issue 12).

Two-sample tests on the 8-Gaussian ring (``dgm_utils.data.ring``), N points from each side, many repeats:

* type-I error: x and y both from the ring; the fraction of repeats with p <= ``--level`` (0.05) should be
  the level itself (target [0.03, 0.07] for the MMD permutation test);
* power against two alternatives: y from the ring with one mode dropped (7 modes, equal weights), and
  y from the ring with one mode widened (its standard deviation times ``--widen``, 2 by default);
* for the MMD permutation test with the median-heuristic bandwidth, with a fixed bandwidth at each
  multiple of it in ``MULTISCALE_FACTORS`` (why the bandwidth matters), with the multi-scale kernel (their
  sum), and for the classifier two-sample test (fewer repeats: it trains a classifier per test).

Sample metrics on digits: the floors, each figure for two disjoint sets of real digits (test against
train, val against train), next to two degraded sets (blends of two test digits, uniform noise), and the
digits classifier's accuracy and training time.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_two_sample.py --threads 1
    .venv/bin/python benchmarks/bench_two_sample.py --threads 1 --repeats 1000 --c2st-repeats 200

Every random draw comes from ``--seed``, so a run prints the same figures on one machine (the machine's
load, printed, changes only the wall times).
"""

import argparse
import os
import time

import torch

from dgm_utils import data, metrics

#: y's distribution for each alternative, from the ring's means and standard deviation.
ALTERNATIVES = ("null", "dropped mode", "widened mode")


def _load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _distributions(widen):
    """(x's distribution, {alternative: y's distribution}) on the 8-Gaussian ring."""
    ring = data.ring()
    stds = ring.stds.clone()  # (8, 2)
    stds[0] *= widen
    return ring, {"null": ring,
                  "dropped mode": data.GaussianMixture2D(ring.means[1:], ring.stds[1:], name="ring, 7 modes"),
                  "widened mode": data.GaussianMixture2D(ring.means, stds, name=f"ring, one mode x{widen}")}


def _tests(num_permutations):
    """name -> function (x, y, generator) -> p-value."""
    def mmd_at(factor):
        def test(x, y, generator):
            bandwidth = factor * metrics.median_bandwidth(x, y)
            return metrics.mmd_permutation_test(x, y, num_permutations, bandwidth, generator)[1]
        return test

    tests = {"MMD, median heuristic h": mmd_at(1.0)}
    tests.update({f"MMD, fixed {factor} h": mmd_at(factor) for factor in metrics.MULTISCALE_FACTORS if factor != 1})
    tests["MMD, multi-scale (sum over 0.25h..4h)"] = lambda x, y, generator: metrics.mmd_permutation_test(
        x, y, num_permutations, generator=generator, bandwidths=metrics.multiscale_bandwidths(x, y))[1]
    tests["C2ST (MLP 32, 300 steps)"] = lambda x, y, generator: metrics.classifier_two_sample_test(
        x, y, generator=generator).p_value
    return tests


def rejection_rates(args):
    """Rows (test, {alternative: rejection rate}, repeats, seconds per test)."""
    ring, alternatives = _distributions(args.widen)
    rows = []
    for name, test in _tests(args.num_permutations).items():
        repeats = args.c2st_repeats if name.startswith("C2ST") else args.repeats
        rates, start = {}, time.perf_counter()
        for index, alternative in enumerate(ALTERNATIVES):
            # the same data for every test: one generator draws the samples, another the tests' randomness
            data_generator = torch.Generator().manual_seed(args.seed + 1000 * index)
            test_generator = torch.Generator().manual_seed(args.seed + 1000 * index + 1)
            rejected = 0
            for _ in range(repeats):
                x = ring.sample(args.num_samples, generator=data_generator)
                y = alternatives[alternative].sample(args.num_samples, generator=data_generator)
                rejected += test(x, y, test_generator) <= args.level
            rates[alternative] = rejected / repeats
        rows.append((name, rates, repeats, (time.perf_counter() - start) / (repeats * len(ALTERNATIVES))))
        print(f"  {name}: {rates} ({rows[-1][3] * 1000:.0f} ms per test)", flush=True)
    return rows


def digits_floors(seed):
    """Rows (name, sample_metrics dict) for real and degraded digits against the training split."""
    train, val, test = (data.load_digits(split) for split in ("train", "val", "test"))
    noise = torch.rand(len(test), 64, generator=torch.Generator().manual_seed(seed)) * (data.NUM_LEVELS - 1)
    sets = [("test (447) vs train (1000): the floor", test, train),
            ("val (350) vs train (1000): the floor", val, train),
            ("test (447) vs val (350): the floor", test, val),
            ("blends of two test digits (447) vs train", (test + test.roll(1, dims=0)) / 2, train),
            ("uniform noise in [0, 16] (447) vs train", noise, train)]
    labels = data.load_digit_labels("test")
    rows = []
    for name, samples, reference in sets:
        result = metrics.sample_metrics(samples, reference, labels=labels if samples is test else None)
        rows.append((name, result))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=500, help="repeats per alternative for the MMD tests")
    parser.add_argument("--c2st-repeats", type=int, default=200, help="repeats per alternative for the C2ST")
    parser.add_argument("--num-samples", type=int, default=200, help="points drawn from each side per test")
    parser.add_argument("--num-permutations", type=int, default=200)
    parser.add_argument("--level", type=float, default=0.05)
    parser.add_argument("--widen", type=float, default=2.0, help="factor on the widened mode's standard deviation")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average before: {_load_average():.2f}")
    wall_start = time.perf_counter()

    start_cpu, start = time.process_time(), time.perf_counter()
    classifier = metrics.digits_classifier(args.seed)
    train_cpu, train_wall = time.process_time() - start_cpu, time.perf_counter() - start
    accuracies = {split: float((classifier.predict_proba(data.load_digits(split)).argmax(1)
                                == data.load_digit_labels(split)).float().mean()) for split in ("train", "val", "test")}
    floors = digits_floors(args.seed)
    print("rejection rates:", flush=True)
    rates = rejection_rates(args)
    print(f"load average after: {_load_average():.2f}, total wall time {time.perf_counter() - wall_start:.0f} s\n")

    print(f"Rejection rate at level {args.level} on the 8-Gaussian ring, N = M = {args.num_samples}, "
          f"{args.num_permutations} permutations (null: type-I error; the others: power)\n")
    print("| test | null (type-I) | dropped mode | widened mode (std x{:g}) | repeats | ms per test |".format(args.widen))
    print("| --- | --- | --- | --- | --- | --- |")
    for name, rate, repeats, seconds in rates:
        print(f"| {name} | {rate['null']:.3f} | {rate['dropped mode']:.3f} | {rate['widened mode']:.3f} | {repeats} | "
              f"{seconds * 1000:.0f} |")
    print(f"\nDigits classifier (seed {args.seed}): accuracy train {accuracies['train']:.3f}, val {accuracies['val']:.3f}, "
          f"test {accuracies['test']:.3f}; training {train_wall:.1f} s wall, {train_cpu:.1f} s CPU\n")
    print("| samples vs reference | MMD^2 | Fréchet | confident (>= 0.9) | precision | recall | class accuracy |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, result in floors:
        accuracy = f"{result['accuracy']:.3f}" if "accuracy" in result else ""
        print(f"| {name} | {result['mmd2']:.4f} | {result['frechet']:.2f} | {result['confident']:.3f} | "
              f"{result['precision']:.3f} | {result['recall']:.3f} | {accuracy} |")


if __name__ == "__main__":
    main()
