"""Blocking a reference implementation never breaks the course's own data, metrics and plots.

Every reference that any assignment blocks (the `_BLOCKED` tuple of each solution notebook's setup cell) is
blocked here one at a time, and the data, the metrics and the plotting functions the tests and chapters use must
still work: the toys' exact densities go through dgm_utils.distributions, never through a function an assignment
blocks, so a student is never blamed for the course's own internal calls.
"""

import json
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from dgm_utils import checks, data, latent, metrics, plot, train  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _blocked_references():
    """(assignment, reference) for every entry of every solution notebook's `_BLOCKED` tuple."""
    found = []
    for notebook in sorted((REPO / "solutions").glob("*/*.ipynb")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        setup = next(cell for cell in cells if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "setup")
        # The setup cell as it is, minus the guard (which would make dgm_utils.checks read-only for this process).
        source = "".join(line for line in setup["source"] if "protect_grading_environment" not in line)
        namespace = {}
        exec(compile(source, str(notebook), "exec"), namespace)
        found += [(notebook.parent.name, reference) for reference in namespace["_BLOCKED"]]
    return found


BLOCKED = _blocked_references()


def _use_data_metrics_and_plots(blocked=None):
    """What the tests and chapters call on the course's side: every toy, the digits, the metrics, the plots (all but
    the `blocked` reference itself: hw4 blocks mmd2 and mmd_permutation_test, and each must keep the other working)."""
    generator = torch.Generator().manual_seed(0)
    for name in data.TOY_DISTRIBUTIONS:
        toy = data.make_toy(name)
        x = toy.sample(200, generator=generator)
        assert toy.log_prob(x).shape == (200,) and toy.entropy() > 0
        assert abs(metrics.grid_integral(toy, toy.bounds, resolution=80) - 1) < 0.05
        assert abs(metrics.kl_gap(toy, toy, num_samples=2000)) < 0.1
        assert metrics.evaluate_nll(toy, x).is_exact
    ring = data.ring()
    assert data.Banana().log_prob(ring.sample(10, generator=generator)).shape == (10,)
    x, y = ring.sample(60, generator=generator), data.grid().sample(60, generator=generator)
    if blocked is not metrics.mmd2:
        metrics.mmd2(x, y)
    if blocked is not metrics.mmd_permutation_test:
        metrics.mmd_permutation_test(x, y, num_permutations=20, generator=generator)
    metrics.bits_per_dim(metrics.nll(ring.log_prob(x)), 2)
    digits = data.load_digits("test")
    assert digits.shape == (447, 64) and data.load_digit_labels("test").shape == (447,)
    plot.compare_densities(ring, data.make_toy("banana"), ring.bounds, samples=x)
    plot.density_and_samples(ring, x, ring.bounds)
    plot.plot_density(ring, ring.bounds, resolution=40)
    plot.plot_samples(x, bounds=ring.bounds)
    plot.image_grid(digits[:16])
    plot.training_curves(train.History(train_loss=[3.0, 2.0, 1.5], val_loss=[3.1, 2.2], val_steps=[0, 3]))
    plt.close("all")


@pytest.mark.parametrize("assignment, reference", BLOCKED,
                         ids=[f"{a}-{getattr(r, '__qualname__', r)}" for a, r in BLOCKED])
def test_data_metrics_and_plots_work_while_a_reference_is_blocked(assignment, reference):
    with checks.blocked_references(reference), checks.silence():
        _use_data_metrics_and_plots(reference)


def test_every_assignment_blocks_something():
    assert {assignment for assignment, _ in BLOCKED} == {p.name for p in (REPO / "solutions").iterdir() if p.is_dir()}


class _SidewaysRing(data.GaussianMixture2D):
    """A toy that computes its density through a reference a hw0 blocks: what the layout forbids."""

    def _log_prob(self, x):
        return latent.mixture_log_prob(x, self.means.to(x.dtype), self.log_stds.to(x.dtype), self.logits.to(x.dtype))


def test_the_check_catches_a_toy_that_goes_through_a_blocked_reference():
    toy = _SidewaysRing(data.ring().means, 0.2)
    x = toy.sample(10, generator=torch.Generator().manual_seed(0))
    assert toy.log_prob(x).shape == (10,)
    with checks.blocked_references(latent.mixture_log_prob), checks.silence():
        with pytest.raises(checks.ReferenceBlockedError, match="mixture_log_prob"):
            toy.log_prob(x)
