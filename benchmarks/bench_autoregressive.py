"""Benchmark of the autoregressive reference models (dgm_utils.autoregressive, issue 3).

Trains each model from scratch with ``dgm_utils.train.fit`` under a wall-clock budget and prints a
Markdown table of held-out negative log-likelihoods:

* digits   -- PixelCNN with a 17-way categorical output on the 8x8 digits (train 1000 / val 350 / test 447),
              early stopping on the validation split; the test NLL is of the restored best checkpoint.
* toys     -- MADE with mixture-of-Gaussian outputs on every 2-D toy; the gap NLL - H(p) = KL(p || model).
* text     -- character-level causal transformer on docstrings of the Python standard library.
* waves    -- WaveNet-style dilated causal convolutions on quantized synthetic waveforms.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_autoregressive.py                  # digits and toys
    .venv/bin/python benchmarks/bench_autoregressive.py --tasks digits toys text waves --max-time 60

torch keeps its default number of threads unless ``--threads`` is given. Timings depend on the
machine's load, which is printed (1-minute load average, before and after); the CPU time column
(all threads of the process) shows how much computing the training really got.
"""

import argparse
import math
import os
import time

import torch

from dgm_utils import autoregressive as ar
from dgm_utils import data, metrics, train

#: PixelCNN for the digits: small (50k parameters), real-valued intensity input, dropout against the
#: overfitting that 1000 training images invite.
DIGITS_MODEL = dict(image_shape=data.IMAGE_SHAPE, num_levels=data.NUM_LEVELS, hidden_channels=32,
                    num_blocks=4, dropout=0.2)
DIGITS_TRAINING = dict(batch_size=64, lr=3e-3, num_steps=20_000, eval_every=25, patience=12)

TOYS_MODEL = dict(hidden_sizes=(128, 128), output="gaussian_mixture", num_components=16)
#: two phases: a large learning rate, then a small one from the best checkpoint of the first
TOYS_PHASES = ((3e-3, 0.6), (1e-3, 0.4))  # (learning rate, fraction of the time budget)
TOYS_BATCH_SIZE = 1024

#: a small GPT: about 1000 steps fit in a minute of one CPU core
TEXT_BLOCK_SIZE = 64
TEXT_MAX_CHARS = 300_000
TEXT_MODEL = dict(embed_dim=64, num_heads=4, num_layers=3, dropout=0.0)
TEXT_TRAINING = dict(batch_size=32, lr=3e-3, num_steps=100_000, eval_every=50, patience=10)

WAVE_LENGTH = 256
WAVE_LEVELS = 64
WAVE_NOISE_STD = 0.05
WAVE_MODEL = dict(num_levels=WAVE_LEVELS, channels=32, kernel_size=2, dilations=(1, 2, 4, 8, 16, 32))
WAVE_TRAINING = dict(batch_size=32, lr=3e-3, num_steps=100_000, eval_every=50, patience=10)


def _load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _row(task, model, test_nll, num_dims, *, best_val, wall_time, cpu_time, steps, stop, notes=""):
    return dict(task=task, model=model, test_nll=test_nll, bits_per_dim=metrics.bits_per_dim(test_nll, num_dims),
                best_val=best_val, wall_time=wall_time, cpu_time=cpu_time, steps=steps, stop=stop, notes=notes)


def _fit(model, x_train, **kwargs):
    """``train.fit`` that also returns the CPU time of the process (all threads) spent in it."""
    cpu_start = time.process_time()
    history = train.fit(model, x_train, progress=False, **kwargs)
    return history, time.process_time() - cpu_start


def _num_parameters(model):
    return f"{sum(p.numel() for p in model.parameters()) / 1000:.0f}k"


def bench_digits(max_time, seed):
    """One PixelCNN with the whole budget, and an ensemble of two scan orders with half the budget each."""
    x_train, x_val, x_test = (data.load_digits(split) for split in ("train", "val", "test"))
    num_dims = x_test.shape[1]
    rows, members, totals = [], [], dict(wall_time=0.0, cpu_time=0.0, steps=0)
    for scan_order, budget in (("raster", max_time), ("raster", max_time / 2), ("right_to_left", max_time / 2)):
        torch.manual_seed(seed)
        model = ar.PixelCNN(**DIGITS_MODEL, scan_order=scan_order)
        history, cpu_time = _fit(model, x_train, val_data=x_val, max_time=budget, seed=seed, **DIGITS_TRAINING)
        if budget == max_time:  # the single model
            rows.append(_row("digits (17 levels)", f"PixelCNN {_num_parameters(model)}",
                             metrics.evaluate_nll(model, x_test), num_dims, best_val=history.best_val_loss,
                             wall_time=history.wall_time, cpu_time=cpu_time, steps=history.num_steps,
                             stop=history.stop_reason, notes=f"best step {history.best_step}"))
            continue
        members.append(model)
        totals["wall_time"] += history.wall_time
        totals["cpu_time"] += cpu_time
        totals["steps"] += history.num_steps
    ensemble = ar.OrderingEnsemble(members)
    rows.append(_row("digits (17 levels)", f"ensemble of 2 PixelCNNs {_num_parameters(ensemble)}",
                     metrics.evaluate_nll(ensemble, x_test), num_dims, best_val=metrics.evaluate_nll(ensemble, x_val),
                     stop="members early-stopped on val", notes="scan orders raster + right-to-left", **totals))
    return rows


def bench_toys(max_time, seed):
    rows = []
    for name in sorted(data.TOY_DISTRIBUTIONS):
        toy = data.make_toy(name)
        torch.manual_seed(seed)
        model = ar.MADE(2, **TOYS_MODEL)
        wall_time = cpu_time = num_steps = 0
        for lr, fraction in TOYS_PHASES:
            history, phase_cpu_time = _fit(model, toy, val_data=toy, num_steps=100_000, batch_size=TOYS_BATCH_SIZE,
                                           lr=lr, eval_every=250, max_time=fraction * max_time, seed=seed)
            wall_time, cpu_time, num_steps = wall_time + history.wall_time, cpu_time + phase_cpu_time, \
                num_steps + history.num_steps
        gap = metrics.kl_gap(model, toy)
        rows.append(_row(f"toy {name}", f"MADE {_num_parameters(model)}, {model.num_components} Gaussians", gap + toy.entropy(), 2,
                         best_val=history.best_val_loss, wall_time=wall_time, cpu_time=cpu_time, steps=num_steps,
                         stop=history.stop_reason, notes=f"H(p) = {toy.entropy():.3f}, **KL gap = {gap:.3f}**"))
    return rows


def bench_text(max_time, seed):
    text = data.load_stdlib_text(max_chars=TEXT_MAX_CHARS, seed=seed)
    vocabulary = data.CharVocabulary(text)
    ids = vocabulary.encode(text)
    train_end, val_end = int(0.9 * len(ids)), int(0.95 * len(ids))
    x_train, x_val, x_test = (data.sequence_blocks(part, TEXT_BLOCK_SIZE)
                              for part in (ids[:train_end], ids[train_end:val_end], ids[val_end:]))
    torch.manual_seed(seed)
    model = ar.CausalTransformer(vocabulary.size, TEXT_BLOCK_SIZE, **TEXT_MODEL)
    history, cpu_time = _fit(model, x_train, val_data=x_val, max_time=max_time, seed=seed, **TEXT_TRAINING)
    test_nll = metrics.evaluate_nll(model, x_test)
    prompt = vocabulary.encode("Return the ")
    sample = model.sample(1, length=TEXT_BLOCK_SIZE, context=prompt, temperature=0.8,
                          generator=torch.Generator().manual_seed(seed))
    print(f"text sample (temperature 0.8):\n{vocabulary.decode(sample[0].cpu())!r}\n")
    return [_row(f"text ({vocabulary.size} characters)", f"causal transformer {_num_parameters(model)}", test_nll,
                 TEXT_BLOCK_SIZE, best_val=history.best_val_loss, wall_time=history.wall_time, cpu_time=cpu_time,
                 steps=history.num_steps, stop=history.stop_reason,
                 notes=f"NLL per block of {TEXT_BLOCK_SIZE} characters; bits/dim = bits per character")]


def bench_waves(max_time, seed):
    def levels(n, offset):
        x = data.make_waveforms(n, WAVE_LENGTH, seed=seed + offset, noise_std=WAVE_NOISE_STD)
        return data.quantize_signal(x, WAVE_LEVELS)

    x_train, x_val, x_test = levels(800, 0), levels(200, 1), levels(200, 2)
    torch.manual_seed(seed)
    model = ar.WaveNet(**WAVE_MODEL)
    history, cpu_time = _fit(model, x_train, val_data=x_val, max_time=max_time, seed=seed, **WAVE_TRAINING)
    test_nll = metrics.evaluate_nll(model, x_test)
    # The noise alone costs about the entropy of N(0, sigma^2) quantized with bin width 2 / K per sample.
    noise_floor = 0.5 * math.log(2 * math.pi * math.e * WAVE_NOISE_STD**2) - math.log(2.0 / WAVE_LEVELS)
    return [_row(f"waves ({WAVE_LEVELS} levels)", f"WaveNet {_num_parameters(model)}, R = {model.receptive_field}",
                 test_nll, WAVE_LENGTH, best_val=history.best_val_loss, wall_time=history.wall_time,
                 cpu_time=cpu_time, steps=history.num_steps, stop=history.stop_reason,
                 notes=f"NLL per signal of {WAVE_LENGTH}; {test_nll / WAVE_LENGTH:.3f} nats/sample, "
                       f"noise floor ~{noise_floor:.3f}")]


TASKS = {"digits": bench_digits, "toys": bench_toys, "text": bench_text, "waves": bench_waves}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=sorted(TASKS), default=["digits", "toys"])
    parser.add_argument("--max-time", type=float, default=60.0, help="training budget per model, seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's default; 1 is far faster on a machine loaded by "
                             "other processes)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {train.get_device()}, "
          f"load average before: {_load_average():.2f}")
    rows = []
    for task in args.tasks:
        rows += TASKS[task](args.max_time, args.seed)
    print(f"load average after: {_load_average():.2f}\n")
    print("| task | model | test NLL (nats) | bits/dim | val NLL | train wall (s) | train CPU (s) | steps | stop "
          "| notes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['task']} | {r['model']} | {r['test_nll']:.2f} | {r['bits_per_dim']:.3f} | {r['best_val']:.2f} | "
              f"{r['wall_time']:.1f} | {r['cpu_time']:.1f} | {r['steps']} | {r['stop']} | {r['notes']} |")


if __name__ == "__main__":
    main()
