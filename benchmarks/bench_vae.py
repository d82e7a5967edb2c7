"""Benchmark of the variational autoencoder of dgm_utils.latent (issue 5).

Trains ``vae_for_digits`` (MLP encoder, categorical decoder over the 17 intensity levels) on the 8x8
digits (train 1000 / val 350 / test 447) from scratch with ``dgm_utils.train.fit`` under a wall-clock
budget, with early stopping on the validation -ELBO (the best checkpoint is restored), and prints a
Markdown table of test bounds in nats per image:

* -ELBO: the negative evidence lower bound, averaged over ``ELBO_DRAWS`` draws of z per image (an
  estimate of -E_q[log p(x|z)] + KL with less noise than one draw);
* IWAE: the negative importance-weighted bound with K = 1000 samples (``--iwae-samples``), an upper
  bound (in expectation) on the negative log-likelihood -log p(x), closer to it than -ELBO.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_vae.py                     # the reference configuration
    .venv/bin/python benchmarks/bench_vae.py --threads 1         # on a busy machine
    .venv/bin/python benchmarks/bench_vae.py --ablation          # also: a plain Linear output layer

torch keeps its default number of threads unless ``--threads`` is given. Timings depend on the
machine's load, which is printed (1-minute load average before and after); the CPU time column (all
threads of the process) shows how much computing the training really got, and "CPU to best" the part
of it spent up to the restored checkpoint (CPU time x best step / steps): on a machine shared with
other jobs, run with a larger ``--max-time`` and read the training cost there.
"""

import argparse
import os
import time

import torch

from dgm_utils import data, latent, train

#: The reference configuration (see benchmarks/README.md for what each choice is worth).
MODEL = dict(latent_dim=16, hidden_features=256, num_hidden_layers=2, dropout=0.2, level_rank=2,
             kl_warmup_steps=0)
TRAINING = dict(batch_size=64, lr=1e-3, num_steps=100_000, eval_every=50, patience=20)
#: The -ELBO of the test split is averaged over this many draws of z per image.
ELBO_DRAWS = 10


def _load_average():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


@torch.no_grad()
def evaluate(vae, x, num_iwae_samples, seed):
    """(-ELBO, -IWAE bound, KL per dimension) on x, in nats per image, with a fixed generator."""
    vae.eval()
    generator = torch.Generator().manual_seed(seed)
    elbo = torch.stack([vae.elbo(x, generator=generator) for _ in range(ELBO_DRAWS)]).mean(0)  # (N,)
    iwae = vae.iwae_bound(x, num_iwae_samples, generator=generator)  # (N,)
    return -elbo.mean().item(), -iwae.mean().item(), vae.kl_per_dimension(x)


def run(name, model_kwargs, max_time, num_iwae_samples, seed):
    x_train, x_val, x_test = (data.load_digits(split) for split in ("train", "val", "test"))
    torch.manual_seed(seed)
    vae = latent.vae_for_digits(**model_kwargs)
    cpu_start = time.process_time()
    history = train.fit(vae, x_train, val_data=x_val, max_time=max_time, seed=seed, progress=False, **TRAINING)
    cpu_time = time.process_time() - cpu_start
    eval_start = time.perf_counter()
    test_elbo, test_iwae, kl = evaluate(vae, x_test, num_iwae_samples, seed)
    num_parameters = sum(p.numel() for p in vae.parameters())
    return dict(name=f"{name} ({num_parameters / 1000:.0f}k)", test_elbo=test_elbo, test_iwae=test_iwae,
                val_elbo=history.best_val_loss, kl=kl.sum().item(), active=int((kl > 0.01).sum()),
                wall_time=history.wall_time, cpu_time=cpu_time, steps=history.num_steps, best_step=history.best_step,
                cpu_to_best=cpu_time * history.best_step / max(history.num_steps, 1),
                stop=history.stop_reason, eval_time=time.perf_counter() - eval_start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-time", type=float, default=60.0, help="training budget per model, wall-clock seconds")
    parser.add_argument("--iwae-samples", type=int, default=1000, help="K of the IWAE bound on the test split")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ablation", action="store_true",
                        help="also train the same VAE with a plain Linear(256, 64 * 17) decoder output layer")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's default; 1 is far faster on a machine loaded by "
                             "other processes)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {train.get_device()}, "
          f"load average before: {_load_average():.2f}")
    runs = [("VAE, categorical decoder, 2 level profiles", MODEL)]
    if args.ablation:
        runs.append(("VAE, categorical decoder, full output layer", dict(MODEL, level_rank=None)))
    rows = [run(name, kwargs, args.max_time, args.iwae_samples, args.seed) for name, kwargs in runs]
    print(f"load average after: {_load_average():.2f}\n")
    print(f"| model | test -ELBO | test IWAE (K = {args.iwae_samples}) | val -ELBO | KL | active dims "
          "| train wall (s) | train CPU (s) | CPU to best (s) | steps (best) | stop | eval wall (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['name']} | **{r['test_elbo']:.2f}** | **{r['test_iwae']:.2f}** | {r['val_elbo']:.2f} | "
              f"{r['kl']:.1f} | {r['active']} | {r['wall_time']:.1f} | {r['cpu_time']:.1f} | "
              f"{r['cpu_to_best']:.1f} | {r['steps']} ({r['best_step']}) | {r['stop']} | {r['eval_time']:.1f} |")


if __name__ == "__main__":
    main()
