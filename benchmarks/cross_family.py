"""The cross-family benchmark (`make bench`, issue 15): every reference model family on the same data, same budget.

Tasks: the 17-level 8x8 digits (train 1000 / val 350 / test 447) and the 2-D toys ring, checkerboard and banana
(``dgm_utils.data.make_toy``). Models, one per family, with the recipes of the per-unit benchmark scripts (their
builders are imported from ``bench_*.py``) but FIXED step counts (see ``STEPS``; never a wall-clock cap):

* digits: PixelCNN (exact NLL), RealNVP in a variational ``DequantizedFlow`` (bound), VAE (-ELBO and IWAE bounds),
  conditional GAN of chapter 4 (samples only), CD energy of chapter 5 (samples only), DDPM of chapter 6a (bound),
  the independent-pixels baseline (exact), a memorizer (training images as samples), and the floor (test vs train);
* toys: MADE (exact), neural spline flow (exact), GAN (samples only), NCE energy normalized by quadrature (exact),
  DDPM (bound, and its probability-flow ODE density: an estimate), flow matching (ODE density: exact up to the
  solver's tolerance), and the floor (H(p), KL 0; MMD^2 between exact samples).

Each (task, model) job runs in one of ``--workers`` processes (default 2) with one torch thread and returns one
record: every likelihood with its kind, KL = NLL - H(p) on toys, sample metrics, parameters, wall and CPU seconds,
steps, seed, the command. The results go to ``benchmarks/results/cross_family.json`` and ``.md`` (the Markdown
tables of ``dgm_utils.applications.cross_family_markdown``, which the chapter uses too).

Usage (from the repository root)::

    make bench                                                       # = .venv/bin/python benchmarks/cross_family.py
    .venv/bin/python benchmarks/cross_family.py --quick --out /tmp/cf    # tiny step counts: seconds per model
    .venv/bin/python benchmarks/cross_family.py --only digits:pixelcnn ring:made --out /tmp/cf
"""

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_autoregressive  # noqa: E402  (the per-unit recipes)
import bench_diffusion  # noqa: E402
import bench_ebm  # noqa: E402
import bench_flows  # noqa: E402
import bench_gan  # noqa: E402
import bench_vae  # noqa: E402

from dgm_utils import applications, autoregressive, baselines, data, diffusion, energy, implicit, latent  # noqa: E402
from dgm_utils import metrics, train  # noqa: E402

TOYS = ("ring", "checkerboard", "banana")
DIGITS_MODELS = ("pixelcnn", "flow", "vae", "gan", "ebm", "ddpm", "independent", "memorizer", "floor")
TOY_MODELS = ("made", "flow", "gan", "ebm", "ddpm", "flow_matching", "floor")
#: fixed training steps per model (full run, --quick); digits models with early stopping keep the best checkpoint
#: on the validation split within these steps
STEPS = {"pixelcnn": (1250, 30), "flow": (900, 30), "vae": (3000, 30), "gan": (3000, 30), "ebm": (1000, 20),
         "ddpm": (1500, 20), "made": (5000, 40), "toy_flow": (3000, 40), "toy_gan": (10000, 40),
         "toy_ebm": (None, 40), "toy_ddpm": (12000, 40), "flow_matching": (12000, 40)}
NUM_TOY_SAMPLES, NUM_TOY_TEST, NUM_ODE_TEST = 2000, 20_000, 1000
DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def _steps(key, quick):
    return STEPS[key][1 if quick else 0]


def _num_parameters(model):
    return sum(p.numel() for p in model.parameters())


def _timed_fit(model, train_data, **options):
    wall, cpu = time.perf_counter(), time.process_time()
    history = train.fit(model, train_data, progress=False, device="cpu", **options)
    return history, time.perf_counter() - wall, time.process_time() - cpu


def _likelihood(kind, method, nll, num_dims):
    return dict(kind=kind, method=method, nll=float(nll), bits_per_dim=float(metrics.bits_per_dim(float(nll), num_dims)))


# --- digits -----------------------------------------------------------------------------------------------------

def _digits():
    return tuple(data.load_digits(split) for split in ("train", "val", "test"))


def _digit_samples(samples):
    return samples.detach().float().clamp(0, data.NUM_LEVELS - 1)


def digits_pixelcnn(quick, seed):
    x_train, x_val, x_test = _digits()
    torch.manual_seed(seed)
    model = autoregressive.PixelCNN(**bench_autoregressive.DIGITS_MODEL)
    options = dict(bench_autoregressive.DIGITS_TRAINING, num_steps=_steps("pixelcnn", quick))
    history, wall, cpu = _timed_fit(model, x_train, val_data=x_val, seed=seed, **options)
    nll = float(metrics.evaluate_nll(model, x_test))
    samples = model.sample(len(x_test), generator=torch.Generator().manual_seed(seed))
    return dict(model="PixelCNN", family="autoregressive", likelihoods=[_likelihood("exact", "test NLL", nll, 64)],
                samples=_digit_samples(samples), parameters=_num_parameters(model), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(model=bench_autoregressive.DIGITS_MODEL, training=options, best_step=history.best_step))


def digits_flow(quick, seed):
    x_train, x_val, x_test = _digits()
    torch.manual_seed(seed)
    model = bench_flows.digits_flow("variational")
    with torch.no_grad():
        model.log_prob_bound(x_train[:500])  # actnorm's data-dependent initialization, as bench_flows does
    options = dict(bench_flows.DIGITS_TRAINING, num_steps=_steps("flow", quick))
    history, wall, cpu = _timed_fit(model, x_train, val_data=x_val, seed=seed, **options)
    model.eval()
    draws = 2 if quick else bench_flows.DIGITS_TEST_SAMPLES
    torch.manual_seed(seed + 1)
    with torch.no_grad():
        bound = -float(model.log_prob_bound(x_test, num_samples=draws).double().mean())
        weighted = -float(model.log_prob_bound(x_test, num_samples=draws, importance_weighted=True).double().mean())
        samples = model.sample(len(x_test), generator=torch.Generator().manual_seed(seed))
    return dict(model="RealNVP, variational dequantization", family="flow",
                likelihoods=[_likelihood("bound", f"dequantization bound, {draws} draws", bound, 64),
                             _likelihood("bound", f"importance-weighted, {draws} draws", weighted, 64)],
                samples=_digit_samples(samples), parameters=_num_parameters(model), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(layers=bench_flows.DIGITS_LAYERS, hidden=bench_flows.DIGITS_HIDDEN, training=options,
                            best_step=history.best_step))


def digits_vae(quick, seed):
    x_train, x_val, x_test = _digits()
    torch.manual_seed(seed)
    model = latent.vae_for_digits(**bench_vae.MODEL)
    options = dict(bench_vae.TRAINING, num_steps=_steps("vae", quick))
    history, wall, cpu = _timed_fit(model, x_train, val_data=x_val, seed=seed, **options)
    num_iwae = 10 if quick else 1000
    elbo, iwae, _ = bench_vae.evaluate(model, x_test, num_iwae, seed)
    with torch.no_grad():
        samples = model.sample(len(x_test), generator=torch.Generator().manual_seed(seed))
    return dict(model="VAE, categorical decoder", family="latent variable (VAE)",
                likelihoods=[_likelihood("bound", f"IWAE, K = {num_iwae}", iwae, 64),
                             _likelihood("bound", "-ELBO", elbo, 64)],
                samples=_digit_samples(samples), parameters=_num_parameters(model), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(model=bench_vae.MODEL, training=options, best_step=history.best_step))


def digits_gan(quick, seed):
    """The conditional GAN of chapter 4 (cell 34), sampled with labels drawn from the training labels."""
    x_train, _, x_test = _digits()
    labels = data.load_digit_labels("train")
    torch.manual_seed(seed)
    gan = implicit.ConditionalGAN(implicit.ConditionalGenerator(32, 10, 64, hidden=256, layers=2),
                                  implicit.ConditionalCritic(64, 10, hidden=256, layers=2),
                                  objective="non_saturating", data_range=(0.0, 16.0))
    step = train.AdversarialStep(gan, context=True, lr=1e-3)
    steps = _steps("gan", quick)
    history, wall, cpu = _timed_fit(gan, (x_train, labels), step=step, num_steps=steps, batch_size=64, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    context = labels[torch.randint(len(labels), (len(x_test),), generator=generator)]
    with torch.no_grad():
        samples = gan.sample(len(x_test), context=context, generator=generator)
    return dict(model="conditional GAN (labels as in train)", family="implicit (GAN)", likelihoods=[],
                samples=_digit_samples(samples), parameters=_num_parameters(gan), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(generator="ConditionalGenerator(32, 10, 64, hidden=256, layers=2)", lr=1e-3,
                            batch_size=64, steps=steps))


def digits_ebm(quick, seed):
    """The CD energy of chapter 5 (cell 20): its persistent chains at temperature 0.01 are the samples."""
    x_train, _, x_test = _digits()
    torch.manual_seed(seed)
    model = energy.MLPEnergy(64, hidden=128, layers=2, confinement=1.0, init_bounds=(0.0, 1.0))
    cd = energy.ContrastiveDivergence(model.initial_points, num_steps=20, step_size=1e-2, temperature=0.01,
                                      buffer_size=2000, generator=torch.Generator().manual_seed(seed))
    steps = _steps("ebm", quick)
    history, wall, cpu = _timed_fit(model, x_train / 16, loss_fn=cd, num_steps=steps, batch_size=128, lr=1e-3,
                                    seed=seed)
    samples = cd.buffer.states[:len(x_test)] * 16
    return dict(model="MLP energy, persistent CD (T = 0.01)", family="energy-based", likelihoods=[],
                samples=_digit_samples(samples), parameters=_num_parameters(model), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(hidden=128, layers=2, chain_steps=20, step_size=1e-2, temperature=0.01, lr=1e-3,
                            batch_size=128, steps=steps))


def digits_ddpm(quick, seed):
    """The DDPM of chapter 6a: ConvDenoiser (32 channels, 2 blocks), log-SNR schedule (6 to -10), 17-level decoder."""
    x_train, _, x_test = _digits()
    torch.manual_seed(seed)
    model = diffusion.GaussianDiffusion(diffusion.ConvDenoiser(channels=32, num_blocks=2, time_dim=32),
                                        diffusion.make_schedule("log_snr", 1000), (64,), num_levels=data.NUM_LEVELS)
    steps = _steps("ddpm", quick)
    step = train.EMA(train.LossStep(model, lr=bench_diffusion.RECIPE["lr"], lr_schedule="cosine",
                                    schedule_steps=steps), decay=bench_diffusion.RECIPE["ema_decay"])
    history, wall, cpu = _timed_fit(model, x_train, step=step, num_steps=steps, batch_size=128, seed=seed)
    averaged = step.averaged_model
    terms = 5 if quick else 100
    with torch.no_grad():
        bound = -float(averaged.log_prob_bound(x_test, num_timesteps=terms,
                                               generator=torch.Generator().manual_seed(seed)).mean())
    sampling_steps = 5 if quick else 100
    samples = averaged.ddim_sample(len(x_test), sampling_steps, generator=torch.Generator().manual_seed(seed))
    return dict(model=f"DDPM, ConvDenoiser, DDIM {sampling_steps} steps", family="diffusion",
                likelihoods=[_likelihood("bound", f"variational bound, {terms} stratified terms", bound, 64)],
                samples=_digit_samples(samples), parameters=_num_parameters(model), steps=history.num_steps,
                train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(channels=32, num_blocks=2, schedule="log_snr (6 to -10), T = 1000", lr=2e-3,
                            lr_schedule="cosine", batch_size=128, ema=0.995, steps=steps))


def digits_independent(quick, seed):
    x_train, _, x_test = _digits()
    wall, cpu = time.perf_counter(), time.process_time()
    model = baselines.IndependentCategorical.fit(x_train, data.NUM_LEVELS)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    nll = float(metrics.evaluate_nll(model, x_test))
    samples = model.sample(len(x_test), generator=torch.Generator().manual_seed(seed))
    return dict(model="independent pixels (add-one counts)", family="baseline", kind="baseline",
                likelihoods=[_likelihood("exact", "test NLL", nll, 64)], samples=_digit_samples(samples),
                parameters=64 * (data.NUM_LEVELS - 1), steps=0, train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(pseudo_count=1.0))


def digits_memorizer(quick, seed):
    """Samples = training images drawn without replacement: no likelihood (a sum of point masses gives the test
    digits probability 0 unless one is an exact copy of a training digit)."""
    x_train, _, x_test = _digits()
    generator = torch.Generator().manual_seed(seed)
    samples = x_train[torch.randperm(len(x_train), generator=generator)[:len(x_test)]]
    report = metrics.memorization_report(samples, x_train, x_test)
    exact_copies_in_test = int((torch.cdist(x_test, x_train).min(dim=1).values == 0).sum())
    return dict(model="memorizer (training images)", family="baseline", kind="baseline", likelihoods=[],
                samples=samples, parameters=x_train.numel(), steps=0, train_wall_seconds=0.0, train_cpu_seconds=0.0,
                extra=dict(copy_fraction=report.copy_fraction, median_distance_to_train=report.median_sample,
                           median_distance_test_to_train=report.median_held_out,
                           test_digits_equal_to_a_training_digit=exact_copies_in_test))


def digits_floor(quick, seed):
    _, _, x_test = _digits()
    return dict(model="floor: test digits (real vs real)", family="floor", kind="floor", likelihoods=[],
                samples=x_test, parameters=None, steps=None, train_wall_seconds=None, train_cpu_seconds=None)


# --- toys -------------------------------------------------------------------------------------------------------

def _toy_ema(model, toy, steps, seed):
    # bench_diffusion --lr-schedule cosine: the recipe behind the per-unit ring figures (KL 0.02-0.06 at 12 000 steps)
    step = train.EMA(train.LossStep(model, lr=bench_diffusion.RECIPE["lr"], lr_schedule="cosine", schedule_steps=steps),
                     decay=bench_diffusion.RECIPE["ema_decay"])
    history, wall, cpu = _timed_fit(model, toy, step=step, num_steps=steps, batch_size=bench_diffusion.RECIPE["batch_size"],
                                    seed=seed)
    return step.averaged_model, history, wall, cpu


def _net():
    return diffusion.MLPDenoiser(2, hidden=bench_diffusion.RECIPE["hidden"], layers=bench_diffusion.RECIPE["layers"],
                                 time_dim=bench_diffusion.RECIPE["time_dim"])


def toy_made(toy, quick, seed):
    torch.manual_seed(seed)
    model = autoregressive.MADE(2, **bench_autoregressive.TOYS_MODEL)
    total, steps, wall, cpu = _steps("made", quick), 0, 0.0, 0.0
    for lr, fraction in bench_autoregressive.TOYS_PHASES:  # 3e-3 then 1e-3, as bench_autoregressive
        history, w, c = _timed_fit(model, toy, val_data=toy, num_steps=round(fraction * total),
                                   batch_size=bench_autoregressive.TOYS_BATCH_SIZE, lr=lr, eval_every=250, seed=seed)
        steps, wall, cpu = steps + history.num_steps, wall + w, cpu + c
    return dict(model="MADE, 16 Gaussians", family="autoregressive", exact=model, sampler=model,
                parameters=_num_parameters(model), steps=steps, train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(model=bench_autoregressive.TOYS_MODEL, phases=bench_autoregressive.TOYS_PHASES))


def toy_flow(toy, quick, seed):
    torch.manual_seed(seed)
    model = bench_flows.TOYS_MODELS["spline"]()
    total, steps, wall, cpu = _steps("toy_flow", quick), 0, 0.0, 0.0
    for lr, fraction in bench_flows.TOYS_PHASES:
        history, w, c = _timed_fit(model, toy, val_data=toy, num_steps=round(fraction * total),
                                   batch_size=bench_flows.TOYS_BATCH_SIZE, lr=lr, eval_every=250, seed=seed)
        steps, wall, cpu = steps + history.num_steps, wall + w, cpu + c
    return dict(model="neural spline flow", family="flow", exact=model, sampler=model,
                parameters=_num_parameters(model), steps=steps, train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(layers=4, bins=16, phases=bench_flows.TOYS_PHASES))


def toy_gan(toy, quick, seed):
    """bench_gan's ring recipe (10 000 steps, lr 3e-4 for both players, pack 1) on every toy."""
    steps = _steps("toy_gan", quick)
    options = dict(bench_gan.DEFAULTS, steps=steps, critic_lr=3e-4, generator_lr=3e-4)
    wall = time.perf_counter()
    sampler, cpu = bench_gan.train_gan(toy, 1, seed, **options)
    return dict(model="GAN (non-saturating, EMA)", family="implicit (GAN)", sampler=sampler,
                parameters=_num_parameters(sampler), steps=steps, train_wall_seconds=time.perf_counter() - wall,
                train_cpu_seconds=cpu, config=options)


def toy_ebm(toy, quick, seed):
    recipe = bench_ebm.recipe_of("nce", toy.name, None if not quick else dict(steps=_steps("toy_ebm", quick)))
    wall = time.perf_counter()
    model, _, cpu = bench_ebm.train_energy("nce", toy.name, seed, recipe)
    wall = time.perf_counter() - wall
    normalized = energy.QuadratureNormalized(model.energy, toy.bounds)
    return dict(model="MLP energy, NCE, quadrature-normalized", family="energy-based", exact=normalized,
                sampler=normalized, parameters=_num_parameters(model), steps=recipe["steps"],
                train_wall_seconds=wall, train_cpu_seconds=cpu, config=recipe)


def toy_ddpm(toy, quick, seed):
    torch.manual_seed(seed)
    steps = _steps("toy_ddpm", quick)
    model = diffusion.GaussianDiffusion(_net(), diffusion.make_schedule("linear", 1000), (2,))
    averaged, history, wall, cpu = _toy_ema(model, toy, steps, seed)
    return dict(model="DDPM (linear schedule), DDIM 50 steps", family="diffusion", ode_ddpm=averaged,
                sampler=lambda n, generator: averaged.ddim_sample(n, 5 if quick else 50, generator=generator),
                parameters=_num_parameters(averaged), steps=steps, train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(bench_diffusion.RECIPE, steps=steps, lr_schedule="cosine", schedule="linear, T = 1000"))


def toy_flow_matching(toy, quick, seed):
    torch.manual_seed(seed)
    steps = _steps("flow_matching", quick)
    model = diffusion.FlowMatching(_net(), (2,))
    averaged, history, wall, cpu = _toy_ema(model, toy, steps, seed)
    return dict(model="flow matching, ODE sampler", family="flow matching", ode_exact=averaged,
                sampler=lambda n, generator: averaged.sample(n, method="ode", generator=generator),
                parameters=_num_parameters(averaged), steps=steps, train_wall_seconds=wall, train_cpu_seconds=cpu,
                config=dict(bench_diffusion.RECIPE, steps=steps, lr_schedule="cosine"))


def toy_floor(toy, quick, seed):
    return dict(model="floor: exact samples, H(p)", family="floor", kind="floor", floor=True, parameters=None,
                steps=None, train_wall_seconds=None, train_cpu_seconds=None)


def _paired(log_p, log_q):
    gap = (log_p - log_q).double()
    value, se = applications.mean_and_standard_error(gap)
    return dict(value=value, se=se, n=len(gap))


def _score_toy(toy, spec, quick, seed):
    """Turn a toy job's models into a record: likelihoods, KL, MMD^2 against exact samples and its floor."""
    reference = toy.sample(NUM_TOY_SAMPLES if not quick else 300, generator=torch.Generator().manual_seed(seed + 10))
    floor_mean, floor_std = metrics.mmd2_floor(toy, reference, repeats=10 if not quick else 3, seed=50)
    entropy = toy.entropy()
    likelihoods, kl = [], None
    num_test = NUM_TOY_TEST if not quick else 500
    num_ode = NUM_ODE_TEST if not quick else 50
    if "exact" in spec:
        test = toy.sample(num_test, generator=torch.Generator().manual_seed(seed + 20))
        with torch.no_grad():
            log_q = spec["exact"].log_prob(test).double()
        likelihoods.append(dict(kind="exact", method=f"test NLL, {num_test} points", nll=-float(log_q.mean())))
        kl = _paired(toy.log_prob(test), log_q)
    if "ode_ddpm" in spec or "ode_exact" in spec:
        test = toy.sample(num_ode, generator=torch.Generator().manual_seed(seed + 20))
        if "ode_ddpm" in spec:
            ddpm = spec["ode_ddpm"]
            log_q = diffusion.probability_flow_log_likelihood(ddpm, test).double()
            likelihoods.append(dict(kind="estimate", method=f"probability-flow ODE, {num_ode} points",
                                    nll=-float(log_q.mean())))
            with torch.no_grad():
                bound = -float(ddpm.log_prob_bound(test, generator=torch.Generator().manual_seed(seed)).mean())
            likelihoods.append(dict(kind="bound", method=f"variational bound (T = 1000), {num_ode} points",
                                    nll=bound))
        else:
            log_q = spec["ode_exact"].log_prob(test).double()
            likelihoods.append(dict(kind="exact", method=f"ODE (RK45, tol 1e-5), {num_ode} points",
                                    nll=-float(log_q.mean())))
        kl = _paired(toy.log_prob(test), log_q)
    for item in likelihoods:
        item["bits_per_dim"] = float(metrics.bits_per_dim(item["nll"], 2))
    if spec.get("floor"):
        likelihoods.append(dict(kind="exact", method="H(p) of the toy", nll=entropy,
                                bits_per_dim=float(metrics.bits_per_dim(entropy, 2))))
        kl = dict(value=0.0, se=0.0, n=0)
        samples = toy.sample(len(reference), generator=torch.Generator().manual_seed(seed + 30))
    else:
        sampler = spec["sampler"]
        generator = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            samples = (sampler(len(reference), generator) if callable(sampler) and not isinstance(sampler, torch.nn.Module)
                       else sampler.sample(len(reference), generator=generator))
    mmd = float(metrics.mmd2(samples.float(), reference))
    return likelihoods, kl, dict(mmd2=mmd, mmd2_z=(mmd - floor_mean) / floor_std, mmd2_floor_mean=floor_mean,
                                 mmd2_floor_std=floor_std), dict(entropy=entropy)


DIGITS_JOBS = {"pixelcnn": digits_pixelcnn, "flow": digits_flow, "vae": digits_vae, "gan": digits_gan,
               "ebm": digits_ebm, "ddpm": digits_ddpm, "independent": digits_independent,
               "memorizer": digits_memorizer, "floor": digits_floor}
TOY_JOBS = {"made": toy_made, "flow": toy_flow, "gan": toy_gan, "ebm": toy_ebm, "ddpm": toy_ddpm,
            "flow_matching": toy_flow_matching, "floor": toy_floor}
#: the order jobs are started in (the longest first, so the two workers finish together)
ORDER = ("ddpm", "pixelcnn", "gan", "made", "flow", "vae", "ebm", "flow_matching", "independent", "memorizer", "floor")


def run_job(task, name, quick, seed, command):
    """One (task, model) job in a worker: train, evaluate, return the JSON-ready record."""
    torch.set_num_threads(1)
    wall, cpu = time.perf_counter(), time.process_time()
    if task == "digits":
        spec = DIGITS_JOBS[name](quick, seed)
        x_train = data.load_digits("train")
        sample_metrics = metrics.sample_metrics(spec.pop("samples"), x_train)
        likelihoods, kl = spec.pop("likelihoods"), None
    else:
        toy = data.make_toy(task)
        spec = TOY_JOBS[name](toy, quick, seed)
        likelihoods, kl, sample_metrics, _ = _score_toy(toy, spec, quick, seed)
    record = dict(task=task, job=name, model=spec["model"], family=spec["family"], kind=spec.get("kind", "model"),
                  likelihoods=likelihoods, kl=kl, sample_metrics=sample_metrics, parameters=spec.get("parameters"),
                  steps=spec.get("steps"), train_wall_seconds=spec.get("train_wall_seconds"),
                  train_cpu_seconds=spec.get("train_cpu_seconds"), wall_seconds=time.perf_counter() - wall,
                  cpu_seconds=time.process_time() - cpu, seed=seed, command=command,
                  config=json.loads(json.dumps(spec.get("config", {}), default=str)), extra=spec.get("extra", {}))
    return record


def _jobs(tasks, only):
    jobs = []
    for task in tasks:
        names = DIGITS_MODELS if task == "digits" else TOY_MODELS
        jobs += [(task, name) for name in names
                 if not only or f"{task}:{name}" in only or name in only or task in only]
    return sorted(jobs, key=lambda job: (ORDER.index(job[1]), job[0] != "digits"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["digits", *TOYS], choices=["digits", *sorted(data.TOY_DISTRIBUTIONS)])
    parser.add_argument("--only", nargs="+", default=None, metavar="TASK:MODEL",
                        help="run only these jobs: task:model (digits:pixelcnn), a model name (all tasks) or a task")
    parser.add_argument("--quick", action="store_true", help="tiny step counts (a few seconds per model), for tests")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory of cross_family.json and .md")
    args = parser.parse_args(argv)
    command = "python benchmarks/cross_family.py" + "".join(f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    jobs = _jobs(args.tasks, set(args.only or ()))
    if not jobs:
        raise SystemExit(f"--only {args.only} selects no job; models: digits {DIGITS_MODELS}, toys {TOY_MODELS}")
    load_before, start = os.getloadavg()[0], time.perf_counter()
    print(f"{len(jobs)} jobs on {args.workers} workers (one torch thread each), load average {load_before:.1f}",
          flush=True)
    records = {}
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.workers, mp_context=context) as pool:
        futures = {pool.submit(run_job, task, name, args.quick, args.seed, command): (task, name)
                   for task, name in jobs}
        for future in concurrent.futures.as_completed(futures):
            record = future.result()
            records[futures[future]] = record
            print(f"  {record['task']:12s} {record['job']:14s} {record['wall_seconds']:6.1f} s wall "
                  f"{record['cpu_seconds']:6.1f} s CPU", flush=True)
    tasks = {}
    for task in args.tasks:
        if task == "digits":
            tasks[task] = dict(type="digits", train=1000, val=350, test=447, levels=data.NUM_LEVELS,
                               nll_unit="nats per image (64 pixels)",
                               sample_metrics="dgm_utils.metrics.sample_metrics of 447 samples against the 1000 "
                                              "training digits")
        else:
            tasks[task] = dict(type="toy", entropy=data.make_toy(task).entropy(), nll_unit="nats per point",
                               sample_metrics=f"MMD^2 (median bandwidth) of {NUM_TOY_SAMPLES} samples against as "
                                              "many exact ones; floor: mmd2_floor over 10 exact samples")
    results = dict(schema=applications.cross_family.SCHEMA, command=command, quick=args.quick, seed=args.seed,
                   workers=args.workers, torch=torch.__version__, python=platform.python_version(),
                   created=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                   wall_seconds_total=time.perf_counter() - start,
                   load_average=dict(before=load_before, after=os.getloadavg()[0]), tasks=tasks,
                   records=[records[(task, name)] for task in args.tasks
                            for name in (DIGITS_MODELS if task == "digits" else TOY_MODELS) if (task, name) in records])
    applications.load_cross_family(results)  # the file the chapter reads must pass its own check
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cross_family.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    lines = [f"# Cross-family table\n\nCommand: `{command}` (seed {args.seed}, {args.workers} workers, "
             f"{results['wall_seconds_total']:.0f} s wall, load {load_before:.1f} -> {os.getloadavg()[0]:.1f}; "
             f"{results['created']})\n"]
    for task, info in tasks.items():
        title = f"## {task}" + (f" (H(p) = {info['entropy']:.4f} nats)" if info["type"] == "toy" else
                                " (17 levels, test split 447 images)")
        lines += [title, "", applications.cross_family_markdown(results, task), ""]
    (args.out / "cross_family.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out / 'cross_family.json'} and .md in {results['wall_seconds_total']:.0f} s")


if __name__ == "__main__":
    main()
