"""Maximum likelihood for energy models by contrastive divergence, with short-run or persistent Langevin chains.

For p_theta(x) = exp(-E_theta(x)) / Z_theta, grad_theta log Z_theta = -E_{p_theta}[grad_theta E_theta(x)], so the
gradient of the average negative log-likelihood of data x_1..x_B is

    grad_theta NLL = mean_i grad_theta E(x_i) - E_{x ~ p_theta}[grad_theta E(x)],

the gradient of the surrogate loss mean_i E(x_i) - mean_j E(x_j^-), with negatives x^- drawn from the model by
Langevin chains and treated as constants. :class:`ContrastiveDivergence` computes it (plus ``alpha`` (E(x)^2 +
E(x^-)^2), which keeps the energies near 0 (Du & Mordatch 2019)); pass it to ``fit`` as ``loss_fn``.

Chains either start from noise every step (short-run) or continue from a :class:`ReplayBuffer` of earlier negatives
(persistent, with a fraction ``reinit`` restarted from noise so that the buffer keeps exploring).
"""

import torch

from dgm_utils._validation import check_count, check_generator, check_number, check_points, check_positive_int
from dgm_utils.energy.mcmc import energy_function, langevin_sample, mala_sample

__all__ = ["ReplayBuffer", "ContrastiveDivergence", "DEFAULT_REINIT", "DEFAULT_MAX_ENERGY", "SAMPLERS"]

#: fraction of persistent chains restarted from noise at every step (Du & Mordatch 2019 use 5%)
DEFAULT_REINIT = 0.05
#: the largest |energy| a healthy run reaches (with alpha > 0 energies stay near 0); beyond it CD has diverged
DEFAULT_MAX_ENERGY = 1e4
#: the chains of :class:`ContrastiveDivergence`: unadjusted Langevin or Metropolis-adjusted Langevin
SAMPLERS = ("langevin", "mala")


class ReplayBuffer:
    """A fixed-size store of chain states (capacity, D) for persistent contrastive divergence.

    ``draw(n)`` returns n states: each, independently with probability ``reinit``, fresh from ``init_fn``, otherwise
    a stored state chosen uniformly; ``push(states)`` writes the chains' new states back into the slots they came
    from (fresh ones replace random slots). The buffer starts full of ``init_fn`` states.
    """

    def __init__(self, init_fn, capacity, *, reinit=DEFAULT_REINIT, generator=None):
        if not callable(init_fn):
            raise TypeError(f"init_fn must be a function n -> (n, D) initial states, got {type(init_fn).__name__}")
        self.capacity = check_positive_int(capacity, "capacity")
        self.reinit = check_number(reinit, "reinit", allow_zero=True)
        if self.reinit > 1:
            raise ValueError(f"reinit must be a probability in [0, 1], got {reinit}")
        self.generator = check_generator(generator)
        self.init_fn = init_fn
        self.states = check_points(init_fn(capacity), "init_fn(capacity)", min_rows=capacity).detach()
        self._slots = None

    def draw(self, num_states):
        """(num_states, D) chain starts: stored states, a fraction ``reinit`` of them replaced by fresh noise."""
        check_count(num_states, "num_states")
        slots = torch.randint(self.capacity, (num_states,), generator=self.generator)  # (n,)
        states = self.states[slots.to(self.states.device)].clone()
        fresh = torch.rand(num_states, generator=self.generator) < self.reinit  # (n,)
        if bool(fresh.any()):
            states[fresh.to(states.device)] = self.init_fn(int(fresh.sum())).to(states.dtype)
        self._slots = slots
        return states

    def push(self, states):
        """Store the chains' end states in the slots of the last ``draw``."""
        if self._slots is None:
            raise RuntimeError("push(states) must follow draw(n): it writes each chain back into its slot")
        check_points(states, "states", dim=self.states.shape[1], min_rows=len(self._slots))
        if len(states) != len(self._slots):
            raise ValueError(f"push got {len(states)} states, the last draw gave {len(self._slots)}")
        self.states[self._slots.to(self.states.device)] = states.detach().to(self.states.dtype)
        self._slots = None


class ContrastiveDivergence:
    """The contrastive-divergence loss of an energy model, ``loss_fn(model, x) -> scalar``, for ``fit``.

    Args:
        init_fn: n -> (n, D) chain starts from noise (e.g. ``model.initial_points``).
        num_steps, step_size: the Langevin chain run from each start (see :func:`langevin_sample`).
        sampler: ``"langevin"`` (ULA) or ``"mala"`` (:func:`mala_sample`, the same cost per step). ULA's negatives
            come from a distribution biased by the step size (on an energy with steep walls the chains are thrown
            back from the walls, so the learned density piles up along them to compensate); MALA's are unbiased.
        buffer_size: 0 for short-run chains from noise; otherwise the capacity of a :class:`ReplayBuffer`.
        reinit: see :class:`ReplayBuffer`.
        temperature: the chains' temperature (see :func:`langevin_sample`); below 1 the negatives come from the
            sharper exp(-E / T), so the gradient is no longer that of the likelihood (a common trade for cleaner
            chains in high dimension).
        alpha: weight of the regularizer alpha mean(E(x)^2 + E(x^-)^2).
        bounds: (low, high): stop when a chain leaves the box (an energy that lets chains escape); None: no check.
        max_energy: stop with ``FloatingPointError`` when an energy of the data or of the negatives exceeds this
            in absolute value (an exploding energy, the usual way CD diverges); None: no check.
        generator: a CPU ``torch.Generator`` for chains and buffer, or None.

    Attributes:
        last_negatives: the negatives of the last call (detached), to plot or monitor.
        last_acceptance_rate: MALA's acceptance rate in the last call (None with ``"langevin"``).
    """

    def __init__(self, init_fn, *, num_steps=60, step_size=1e-2, buffer_size=0, reinit=DEFAULT_REINIT,
                 alpha=0.1, bounds=None, generator=None, temperature=1.0, max_energy=DEFAULT_MAX_ENERGY,
                 sampler="langevin"):
        if not callable(init_fn):
            raise TypeError(f"init_fn must be a function n -> (n, D), got {type(init_fn).__name__}")
        self.init_fn = init_fn
        self.num_steps = check_positive_int(num_steps, "num_steps")
        self.step_size = check_number(step_size, "step_size")
        self.alpha = check_number(alpha, "alpha", allow_zero=True)
        self.temperature = check_number(temperature, "temperature")
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
        if sampler == "mala" and self.temperature != 1.0:
            raise ValueError(f"the MALA sampler targets the model itself: temperature must be 1, got {temperature}")
        self.sampler = sampler
        self.last_acceptance_rate = None
        self.max_energy = None if max_energy is None else check_number(max_energy, "max_energy")
        self.calls = 0
        self.bounds = bounds
        self.generator = check_generator(generator)
        check_count(buffer_size, "buffer_size")
        self.buffer = (ReplayBuffer(init_fn, buffer_size, reinit=reinit, generator=generator) if buffer_size
                       else None)
        self.last_negatives = None

    def negatives(self, energy, num_samples):
        """Run the chains: (num_samples, D) detached model samples, written back to the buffer if there is one."""
        starts = self.buffer.draw(num_samples) if self.buffer is not None else self.init_fn(num_samples)
        if self.sampler == "mala":
            result = mala_sample(energy, starts, step_size=self.step_size, num_steps=self.num_steps,
                                 generator=self.generator, bounds=self.bounds)
            x, self.last_acceptance_rate = result.samples, result.acceptance_rate
        else:
            x = langevin_sample(energy, starts, step_size=self.step_size, num_steps=self.num_steps,
                                generator=self.generator, bounds=self.bounds, temperature=self.temperature)
        if self.buffer is not None:
            self.buffer.push(x)
        return x

    def __call__(self, model, x):
        energy_fn = energy_function(model)
        self.calls += 1
        negatives = self.negatives(energy_fn, x.shape[0])  # (B, D)
        self.last_negatives = negatives
        positive, negative = energy_fn(x), energy_fn(negatives.to(x.device, x.dtype))  # (B,), (B,)
        self._check_energies(positive, negative)
        loss = positive.mean() - negative.mean()
        if self.alpha:
            loss = loss + self.alpha * (positive ** 2 + negative ** 2).mean()
        return loss

    def _check_energies(self, positive, negative):
        if self.max_energy is None:
            return
        largest = float(torch.cat([positive.detach(), negative.detach()]).abs().max())
        if not largest <= self.max_energy:  # also catches NaN
            raise FloatingPointError(
                f"contrastive divergence, call {self.calls}: an energy reached {largest:.4g} (beyond max_energy="
                f"{self.max_energy:g}): the energy is exploding, pushed down at the data and up at negatives the "
                "chains cannot move away from; try a lower learning rate, a larger alpha, or longer or larger chain "
                "steps")
