"""Energy networks: E_theta(x) = MLP(x) + confinement |x|^2 / 2, an unnormalized model p(x) ~ exp(-E_theta(x)).

The hidden activations are smooth (SiLU), so that the score -grad E and its Jacobian, which score matching
differentiates, are not piecewise constant as they would be with ReLU. The optional quadratic ``confinement``
keeps exp(-E) integrable and Langevin chains from drifting away where the data gives the network no signal.

``sample`` runs unadjusted Langevin (:func:`dgm_utils.energy.langevin_sample`) from uniform noise over
``init_bounds``; the chain length and step size are the model's ``sampler_steps`` / ``sampler_step_size`` unless
given. ``loss`` is denoising score matching at ``noise_scale``; contrastive divergence
(:class:`dgm_utils.energy.ContrastiveDivergence`) and NCE (:class:`dgm_utils.energy.NoiseContrastiveEstimation`)
are passed to ``fit`` as ``loss_fn`` instead.
"""

import torch
from torch import nn

from dgm_utils._validation import check_number, check_points, check_positive_int, check_range
from dgm_utils.base import EnergyModel
from dgm_utils.distributions import standard_uniform
from dgm_utils.energy.mcmc import langevin_sample
from dgm_utils.energy.score_matching import denoising_score_matching_loss, score_of_energy
from dgm_utils.nn import mlp

__all__ = ["MLPEnergy"]


class MLPEnergy(EnergyModel):
    """E(x) = MLP(x) + confinement |x|^2 / 2 on (N, D) inputs; ``layers`` hidden SiLU layers of width ``hidden``.

    Args:
        data_dim: D.
        hidden, layers: the MLP's width and number of hidden layers.
        confinement: the weight of the quadratic term (>= 0).
        init_bounds: (low, high), the box every coordinate of a chain starts in, uniformly.
        sampler_steps, sampler_step_size: the default Langevin chain of ``sample``.
        noise_scale: sigma of the denoising score-matching ``loss``.
        learn_log_z: add a scalar parameter ``log_z`` (0 at the start) for noise-contrastive estimation.
    """

    def __init__(self, data_dim, *, hidden=64, layers=3, confinement=0.0, init_bounds=(-4.0, 4.0),
                 sampler_steps=200, sampler_step_size=1e-2, noise_scale=0.1, learn_log_z=False):
        super().__init__()
        self.data_dim = check_positive_int(data_dim, "data_dim")
        self.net = mlp(data_dim, check_positive_int(hidden, "hidden"), 1, check_positive_int(layers, "layers"),
                       nn.SiLU)
        self.confinement = check_number(confinement, "confinement", allow_zero=True)
        self.init_bounds = check_range(init_bounds, "init_bounds")
        self.sampler_steps = check_positive_int(sampler_steps, "sampler_steps")
        self.sampler_step_size = check_number(sampler_step_size, "sampler_step_size")
        self.noise_scale = check_number(noise_scale, "noise_scale")
        if learn_log_z:  # the scalar c of noise-contrastive estimation, log p = -E - c
            self.log_z = nn.Parameter(torch.zeros(()))

    def energy(self, x, *, context=None):
        """E(x), (N, D) -> (N,)."""
        check_points(x, "x", dim=self.data_dim)
        self.check_context(context)
        values = self.net(x)[:, 0]  # (N,)
        if self.confinement:
            values = values + 0.5 * self.confinement * (x ** 2).sum(dim=1)
        return values

    def score(self, x):
        """-grad_x E(x), (N, D) -> (N, D), differentiable in the parameters."""
        return score_of_energy(self.energy)(x)

    def loss(self, x, *, context=None):
        """Denoising score matching at ``noise_scale`` (a scalar with a gradient)."""
        self.check_context(context)
        return denoising_score_matching_loss(self.score, x, self.noise_scale)

    def initial_points(self, num_samples, generator=None):
        """Chain starts: uniform over ``init_bounds`` in every coordinate, (num_samples, D)."""
        low, high = self.init_bounds
        u = standard_uniform((num_samples, self.data_dim), next(self.parameters()), generator)  # (N, D)
        return low + (high - low) * u

    def _sample(self, num_samples, *, generator, context, num_steps=None, step_size=None):
        parameter = next(self.parameters())
        if num_samples == 0:
            return torch.zeros(0, self.data_dim, device=parameter.device, dtype=parameter.dtype)
        num_steps = self.sampler_steps if num_steps is None else check_positive_int(num_steps, "num_steps")
        step_size = self.sampler_step_size if step_size is None else check_number(step_size, "step_size")
        x0 = self.initial_points(num_samples, generator)
        return langevin_sample(self.energy, x0, step_size=step_size, num_steps=num_steps, generator=generator)
