"""Benchmark of the normalizing flows (dgm_utils.flows, issue 4).

Trains flows from scratch with ``dgm_utils.train.fit`` and prints Markdown tables:

* toys   -- a neural spline flow (4 rational-quadratic spline couplings, 16 bins; ``--toy-flow realnvp`` for
            16 affine couplings instead) on every 2-D toy, a fresh batch of exact samples every step, for a
            fixed number of steps (a time budget would measure the machine's load); the gap
            NLL - H(p) = KL(p || model) on 50 000 fresh samples (``metrics.kl_gap``).
* digits -- RealNVP (actnorm, affine couplings with dropout, checkerboard masks) on the 17-level 8x8 digits
            (train 1000 / val 350 / test 447) inside ``DequantizedFlow``, with uniform and with variational
            dequantization, early stopping on the validation split within a 90 s wall-clock budget. The test
            number is a TRUE upper bound on the discrete NLL (bin width 1/17 included),
            -E_q[log p((x + u) / 17) - log q(u | x)] + 64 log 17 nats per image, averaged over several
            dequantization draws per test image; bits/dim = nats / (64 ln 2).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_flows.py --threads 1                  # toys and digits
    .venv/bin/python benchmarks/bench_flows.py --tasks digits --threads 1

torch keeps its default number of threads unless ``--threads`` is given. Timings depend on the machine's
load, which is printed (1-minute load average before and after each model); the CPU time column (all
threads of the process) shows how much computing the training really got.
"""

import argparse
import os
import time

import torch
from torch import nn

from dgm_utils import data, flows, metrics, train

#: 2-D toys: spline couplings resolve multimodal densities and sharp edges that affine couplings blur.
TOYS_MODELS = {
    "spline": lambda: flows.neural_spline_flow(2, num_layers=4, hidden_features=64, num_bins=16, bound=5.0),
    "realnvp": lambda: flows.realnvp(2, num_layers=16, hidden_features=64),
}
#: Toy training is a fixed number of steps (not a time budget: on a shared machine a time budget measures
#: the load); two phases: (learning rate, fraction of the steps), the second from the first's best checkpoint.
TOYS_PHASES = ((3e-3, 2 / 3), (1e-3, 1 / 3))
TOYS_BATCH_SIZE = 256

#: Digits: a small RealNVP (actnorm + affine couplings with dropout in the conditioners, alternating
#: checkerboard masks of the 8x8 image) on logit(alpha + (1 - 2 alpha) y) with a small alpha.
DIGITS_LAYERS = 8
DIGITS_HIDDEN = 128
DIGITS_DROPOUT = 0.2
DIGITS_LOGIT_ALPHA = 0.01
DIGITS_TRAINING = dict(batch_size=64, lr=1e-3, num_steps=100_000, eval_every=25, patience=10)
#: The test bound is averaged over this many dequantization draws per image (and an importance-weighted
#: bound with as many draws is reported too; both are valid upper bounds in expectation).
DIGITS_TEST_SAMPLES = 16


def _load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _fit(model, train_data, **kwargs):
    """``train.fit`` that also returns the CPU time of the process (all threads) spent in it."""
    cpu_start = time.process_time()
    history = train.fit(model, train_data, progress=False, device="cpu", **kwargs)
    return history, time.process_time() - cpu_start


def _num_parameters(model):
    return f"{sum(p.numel() for p in model.parameters()) / 1000:.0f}k"


def bench_toys(args):
    rows = []
    for name in args.toys:
        toy = data.make_toy(name)
        torch.manual_seed(args.seed)
        model = TOYS_MODELS[args.toy_flow]()
        load_before = _load_average()
        wall_time = cpu_time = num_steps = 0
        for lr, fraction in TOYS_PHASES:
            history, phase_cpu = _fit(model, toy, val_data=toy, num_steps=round(fraction * args.toy_steps),
                                      batch_size=TOYS_BATCH_SIZE, lr=lr, eval_every=250,
                                      max_time=fraction * args.toy_max_time, seed=args.seed)
            wall_time, cpu_time, num_steps = wall_time + history.wall_time, cpu_time + phase_cpu, \
                num_steps + history.num_steps
        gap = metrics.kl_gap(model, toy)
        rows.append(dict(toy=name, model=f"{args.toy_flow} {_num_parameters(model)}", entropy=toy.entropy(),
                         nll=gap + toy.entropy(), gap=gap, wall_time=wall_time, cpu_time=cpu_time,
                         steps=num_steps, load=f"{load_before:.1f} -> {_load_average():.1f}"))
        print(f"toy {name}: KL gap {gap:.4f} ({num_steps} steps, {cpu_time:.0f} s CPU)", flush=True)
    print("\n| toy | model | H(p) | NLL | **NLL - H(p)** | train wall (s) | train CPU (s) | steps | load avg |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['toy']} | {r['model']} | {r['entropy']:.3f} | {r['nll']:.3f} | **{r['gap']:.3f}** | "
              f"{r['wall_time']:.1f} | {r['cpu_time']:.1f} | {r['steps']} | {r['load']} |")
    print()
    return rows


def _conditioner_with_dropout(in_features, out_features):
    """in -> H -> H -> out MLP with ReLU and dropout after each hidden layer (against overfitting)."""
    return nn.Sequential(nn.Linear(in_features, DIGITS_HIDDEN), nn.ReLU(), nn.Dropout(DIGITS_DROPOUT),
                         nn.Linear(DIGITS_HIDDEN, DIGITS_HIDDEN), nn.ReLU(), nn.Dropout(DIGITS_DROPOUT),
                         nn.Linear(DIGITS_HIDDEN, out_features))


def digits_flow(dequantizer):
    """RealNVP on logit-space digits inside a ``DequantizedFlow`` (17 levels)."""
    masks = [flows.checkerboard_mask(8, 8, even=True), flows.checkerboard_mask(8, 8, even=False)]
    flow = flows.realnvp(64, num_layers=DIGITS_LAYERS, actnorm=True, masks=masks,
                         net_factory=_conditioner_with_dropout)
    return flows.DequantizedFlow(flow, num_levels=data.NUM_LEVELS, dequantizer=dequantizer,
                                 logit_alpha=DIGITS_LOGIT_ALPHA)


def bench_digits(args):
    max_time, seed = args.digits_max_time, args.seed
    x_train, x_val, x_test = (data.load_digits(split) for split in ("train", "val", "test"))
    num_dims = x_test.shape[1]
    rows = []
    for dequantizer in ("uniform", "variational"):
        torch.manual_seed(seed)
        model = digits_flow(dequantizer)
        with torch.no_grad():  # actnorm's data-dependent initialization on 500 training images
            model.log_prob_bound(x_train[:500])
        load_before = _load_average()
        history, cpu_time = _fit(model, x_train, val_data=x_val, max_time=max_time, seed=seed, **DIGITS_TRAINING)
        model.eval()
        torch.manual_seed(seed + 1)
        with torch.no_grad():
            bound = -float(model.log_prob_bound(x_test, num_samples=DIGITS_TEST_SAMPLES).double().mean())
            weighted = -float(model.log_prob_bound(x_test, num_samples=DIGITS_TEST_SAMPLES,
                                             importance_weighted=True).double().mean())
        rows.append(dict(dequantizer=dequantizer, model=f"RealNVP {_num_parameters(model)}", bound=bound,
                         bits=metrics.bits_per_dim(bound, num_dims), weighted=weighted,
                         weighted_bits=metrics.bits_per_dim(weighted, num_dims), val=history.best_val_loss,
                         wall_time=history.wall_time, cpu_time=cpu_time, steps=history.num_steps,
                         stop=f"{history.stop_reason} (best step {history.best_step})",
                         load=f"{load_before:.1f} -> {_load_average():.1f}"))
    print(f"Digits, test split ({len(x_test)} images): upper bounds on the discrete NLL, averaged over "
          f"{DIGITS_TEST_SAMPLES} dequantization draws per image (and importance-weighted with as many draws)")
    print("| dequantization | model | **test bound (nats/image)** | bits/dim | IW bound (nats) | IW bits/dim "
          "| val bound | train wall (s) | train CPU (s) | steps | stop | load avg |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['dequantizer']} | {r['model']} | **{r['bound']:.2f}** | {r['bits']:.3f} | {r['weighted']:.2f} | "
              f"{r['weighted_bits']:.3f} | {r['val']:.2f} | {r['wall_time']:.1f} | {r['cpu_time']:.1f} | "
              f"{r['steps']} | {r['stop']} | {r['load']} |")
    print()
    return rows


TASKS = {"toys": bench_toys, "digits": bench_digits}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=["toys", "digits"])
    parser.add_argument("--toys", nargs="+", choices=sorted(data.TOY_DISTRIBUTIONS),
                        default=sorted(data.TOY_DISTRIBUTIONS))
    parser.add_argument("--toy-flow", choices=sorted(TOYS_MODELS), default="spline")
    parser.add_argument("--toy-steps", type=int, default=3000, help="training steps per toy (default 3000)")
    parser.add_argument("--toy-max-time", type=float, default=900.0,
                        help="wall-clock cap per toy, seconds (default 900)")
    parser.add_argument("--digits-max-time", type=float, default=90.0,
                        help="wall-clock training budget per digits model, seconds (default 90)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's default; 1 is far faster on a machine loaded by "
                             "other processes)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average before: "
          f"{_load_average():.2f}\n", flush=True)
    for task in args.tasks:
        TASKS[task](args)
    print(f"load average after: {_load_average():.2f}")


if __name__ == "__main__":
    main()
