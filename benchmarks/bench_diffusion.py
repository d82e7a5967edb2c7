"""Benchmark of dgm_utils.diffusion on the 2-D toys (issue 14): DDPM/DDIM and flow matching against the truth.

For each toy, one ``MLPDenoiser`` is trained as a DDPM noise predictor (``GaussianDiffusion``, linear schedule,
T = 1000) and one as a flow-matching velocity (``FlowMatching``), each with ``dgm_utils.train.fit`` for a fixed
number of steps, with an EMA of the weights (decay 0.995) used for evaluation. Then:

* sample quality against the number of sampling steps: MMD^2 (``metrics.mmd2``, median bandwidth) between 2000
  samples and 2000 exact ones, for DDIM (eta = 0) at 1..1000 steps, ancestral DDPM at all T steps and the
  probability-flow ODE (solve_ivp), and for flow matching with 1..1000 Euler steps and the ODE; the same sweep with
  the exact mixture oracle (``MixtureNoiseOracle``) separates the discretization error from the learning error
  where the toy is a Gaussian mixture; the floor is the mean (and std) of MMD^2 between two exact samples;
* likelihood: the ODE NLL (exact divergence) of both models on 1000 fresh samples, minus the entropy H(p): the gap
  KL(p || model) (target <= 0.05 nats); and the variational bound of the DDPM (an upper bound on its NLL);
* the CPU seconds (``time.process_time``, one thread) of training and of every sampler.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_diffusion.py
    .venv/bin/python benchmarks/bench_diffusion.py --toys ring,grid --steps 3000 --seed 0
    .venv/bin/python benchmarks/bench_diffusion.py --toys '' --digits-steps 1500     # the digits pilot only
"""

import argparse
import time

import torch

from dgm_utils import data, diffusion, metrics, train

DDIM_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 1000)
EULER_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 1000)
NUM_SAMPLES, NUM_LIKELIHOOD = 2000, 1000
RECIPE = dict(hidden=128, layers=3, time_dim=32, lr=2e-3, batch_size=512, ema_decay=0.995)


def _cpu(fn):
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


def _train(model, toy, steps, seed, lr_schedule=None):
    schedule = {} if lr_schedule is None else dict(lr_schedule=lr_schedule, schedule_steps=steps)
    step = train.EMA(train.LossStep(model, lr=RECIPE["lr"], **schedule), decay=RECIPE["ema_decay"])
    _, seconds = _cpu(lambda: train.fit(model, toy, step=step, num_steps=steps, batch_size=RECIPE["batch_size"],
                                        seed=seed, progress=False))
    return step, seconds


def _mmd_row(name, sampler, reference):
    samples, seconds = _cpu(sampler)
    return name, float(metrics.mmd2(samples.float(), reference)), seconds


def _diffusion_rows(model, reference, seed):
    generator = lambda: torch.Generator().manual_seed(seed + 1)  # noqa: E731 (the same x_T for every sampler)
    rows = [_mmd_row(f"DDIM {k}", lambda k=k: model.ddim_sample(NUM_SAMPLES, k, generator=generator()), reference)
            for k in DDIM_STEPS]
    rows.append(_mmd_row(f"ancestral {model.num_steps}", lambda: model.sample(NUM_SAMPLES, generator=generator()),
                         reference))
    rows.append(_mmd_row("probability-flow ODE", lambda: diffusion.probability_flow_sample(
        model, NUM_SAMPLES, generator=generator()), reference))
    return rows


def _flow_rows(model, reference, seed):
    generator = lambda: torch.Generator().manual_seed(seed + 1)  # noqa: E731
    rows = [_mmd_row(f"Euler {k}", lambda k=k: model.sample(NUM_SAMPLES, num_steps=k, generator=generator()),
                     reference) for k in EULER_STEPS]
    rows.append(_mmd_row("ODE", lambda: model.sample(NUM_SAMPLES, method="ode", generator=generator()), reference))
    return rows


def run(toy_name, steps, seed, lr_schedule=None, likelihood_only=False):
    torch.manual_seed(seed)
    toy = data.make_toy(toy_name)
    reference = toy.sample(NUM_SAMPLES, generator=torch.Generator().manual_seed(seed + 10))
    test = toy.sample(NUM_LIKELIHOOD, generator=torch.Generator().manual_seed(seed + 20))
    floor, spread = metrics.mmd2_floor(toy, reference, repeats=5, seed=50)
    entropy = toy.entropy()
    schedule = diffusion.make_schedule("linear", 1000)
    net = dict(hidden=RECIPE["hidden"], layers=RECIPE["layers"], time_dim=RECIPE["time_dim"])

    ddpm = diffusion.GaussianDiffusion(diffusion.MLPDenoiser(2, **net), schedule, (2,))
    ddpm_step, ddpm_seconds = _train(ddpm, toy, steps, seed, lr_schedule)
    ddpm_eval = ddpm_step.averaged_model  # the EMA of the weights, in eval mode
    flow = diffusion.FlowMatching(diffusion.MLPDenoiser(2, **net), (2,))
    flow_step, flow_seconds = _train(flow, toy, steps, seed, lr_schedule)
    flow_eval = flow_step.averaged_model

    print(f"\n### {toy_name} (H(p) = {entropy:.4f} nats; MMD^2 floor of two exact samples {floor:.2e} +- "
          f"{spread:.1e}; {steps} training steps, learning rate {lr_schedule or 'constant'}, seed {seed})\n")
    print(f"training CPU s: DDPM {ddpm_seconds:.1f}, flow matching {flow_seconds:.1f}\n")
    log_p = toy.log_prob(test).double()  # (1000,), the exact log-density of the test points
    with torch.no_grad():
        bound = -float(ddpm_eval.log_prob_bound(test, generator=torch.Generator().manual_seed(seed)).mean())
    (ode_log_q, ode_seconds) = _cpu(lambda: diffusion.probability_flow_log_likelihood(ddpm_eval, test))
    (flow_log_q, flow_ode_seconds) = _cpu(lambda: flow_eval.log_prob(test).double())
    # NLL - H(p) of one test sample has the sampling error of the NLL itself (about 0.03 nats for 1000 points);
    # the paired mean of log p(x) - log q(x) estimates KL(p || q) = NLL - H(p) with a much smaller one.
    print("| model | NLL (nats) | NLL - H(p) | KL(p || q), paired estimate +- SE | CPU s |\n| --- | --- | --- | --- | --- |")
    print(f"| DDPM, variational bound (T = 1000) | <= {bound:.4f} | <= {bound - entropy:.4f} | | |")
    for name, log_q, seconds in [("DDPM, probability-flow ODE likelihood", ode_log_q, ode_seconds),
                                 ("flow matching, ODE likelihood", flow_log_q, flow_ode_seconds)]:
        nll, gap = -float(log_q.mean()), log_p - log_q
        print(f"| {name} | {nll:.4f} | {nll - entropy:.4f} | {float(gap.mean()):.4f} +- "
              f"{float(gap.std()) / len(gap) ** 0.5:.4f} | {seconds:.1f} |")
    if likelihood_only:
        return

    columns = [("DDPM (trained)", _diffusion_rows(ddpm_eval, reference, seed))]
    if isinstance(toy, data.GaussianMixture2D):
        oracle = diffusion.GaussianDiffusion(diffusion.MixtureNoiseOracle(toy, schedule), schedule, (2,))
        columns.append(("DDPM (exact oracle)", _diffusion_rows(oracle, reference, seed)))
    columns.append(("flow matching (trained)", _flow_rows(flow_eval, reference, seed)))
    if isinstance(toy, data.GaussianMixture2D):
        oracle_flow = diffusion.FlowMatching(diffusion.MixtureVelocityOracle(toy), (2,))
        columns.append(("flow matching (exact oracle)", _flow_rows(oracle_flow, reference, seed)))
    for title, rows in columns:
        print(f"\n{title}: MMD^2 / floor std, CPU s\n")
        print("| sampler | MMD^2 | (MMD^2 - floor) / std | CPU s |\n| --- | --- | --- | --- |")
        for name, value, seconds in rows:
            print(f"| {name} | {value:.2e} | {(value - floor) / spread:.1f} | {seconds:.2f} |")


def run_digits(steps, seed, schedule_name="linear", log_snr_max=None, full_bound=True, ode=True):
    """A pilot on the 17-level digits: ConvDenoiser DDPM, its bound on the test split (all 1000 KL terms and the
    stratified estimate from 100), the dequantized ODE bound (Hutchinson), nats per image and bits per dimension."""
    torch.manual_seed(seed)
    x_train, x_test = data.load_digits("train"), data.load_digits("test")
    options = {} if log_snr_max is None else {"log_snr_range": (log_snr_max, diffusion.LOG_SNR_RANGE[1])}
    schedule = diffusion.make_schedule(schedule_name, 1000, **options)
    model = diffusion.GaussianDiffusion(diffusion.ConvDenoiser(channels=32, num_blocks=3, time_dim=32), schedule,
                                        (64,), num_levels=data.NUM_LEVELS)
    step = train.EMA(train.LossStep(model, lr=RECIPE["lr"]), decay=RECIPE["ema_decay"])
    _, seconds = _cpu(lambda: train.fit(model, x_train, step=step, num_steps=steps, batch_size=128, seed=seed,
                                        progress=False))
    averaged = step.averaged_model
    generator = torch.Generator().manual_seed(seed)
    rows = []
    if full_bound:
        rows.append(("variational bound, all 1000 terms",
                     *_cpu(lambda: -float(averaged.log_prob_bound(x_test, generator=generator).mean()))))
    rows.append(("variational bound, 100 stratified terms",
                 *_cpu(lambda: -float(averaged.log_prob_bound(x_test, num_timesteps=100, generator=generator).mean()))))
    if ode:
        rows.append(("dequantized ODE bound (Hutchinson)", *_cpu(lambda: -float(
            diffusion.probability_flow_log_likelihood(averaged, x_test, divergence="hutchinson",
                                                      generator=generator).mean()))))
    print(f"\n### digits (17 levels, test split; {schedule!r}; {steps} training steps, {seconds:.1f} CPU s, "
          f"seed {seed})\n")
    print("| estimate | NLL (nats per image) | bits/dim | CPU s |\n| --- | --- | --- | --- |")
    for name, value, cpu in rows:
        print(f"| {name} | <= {value:.2f} | {metrics.bits_per_dim(value, 64):.3f} | {cpu:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toys", default="ring", help="comma-separated toy names (data.TOY_DISTRIBUTIONS), or ''")
    parser.add_argument("--digits-steps", type=int, default=0, help="also run the digits pilot with this many steps")
    parser.add_argument("--digits-schedule", default="linear", help="noise schedule of the digits pilot "
                        "(diffusion.SCHEDULES)")
    parser.add_argument("--log-snr-max", type=float, default=None, help="lambda_max of the log_snr schedule")
    parser.add_argument("--quick-digits", action="store_true", help="digits pilot: only the stratified bound")
    parser.add_argument("--steps", type=int, default=3000, help="training steps of each model")
    parser.add_argument("--lr-schedule", default=None, help="learning-rate schedule of the toys' training "
                        "(train.LossStep: e.g. cosine; default constant)")
    parser.add_argument("--likelihood-only", action="store_true", help="toys: train and report the likelihoods only "
                        "(no sampler sweeps)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads {torch.get_num_threads()}")
    for toy_name in filter(None, args.toys.split(",")):
        run(toy_name, args.steps, args.seed, args.lr_schedule, args.likelihood_only)
    if args.digits_steps:
        run_digits(args.digits_steps, args.seed, args.digits_schedule, args.log_snr_max,
                   full_bound=not args.quick_digits, ode=not args.quick_digits)


if __name__ == "__main__":
    main()
