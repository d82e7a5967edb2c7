"""dgm_utils.checks: messages, tamper resistance and blocking of the reference implementations."""

import sys
import warnings

import pytest
import torch

import dgm_utils.latent as latent
from dgm_utils import checks


def test_assert_close_passes_and_reports_the_worst_entry():
    checks.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-7]))
    with pytest.raises(AssertionError, match=r"index \(1,\).*is 2.5 but should be 2"):
        checks.assert_close(torch.tensor([1.0, 2.5]), torch.tensor([1.0, 2.0]), "log_prob")


def test_assert_close_checks_shape_and_finiteness():
    with pytest.raises(AssertionError, match=r"shape \(2, 1\), expected \(2,\)"):
        checks.assert_close(torch.zeros(2, 1), torch.zeros(2))
    with pytest.raises(AssertionError, match="finite"):
        checks.assert_close(torch.tensor([float("-inf")]), torch.tensor([-1e5]))
    checks.assert_close(torch.tensor([float("-inf")]), torch.tensor([float("-inf")]))


def test_rebinding_torch_functions_later_does_not_change_the_verdict(monkeypatch):
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch, "isfinite", lambda x: torch.ones_like(x, dtype=torch.bool))
    monkeypatch.setattr(torch, "abs", lambda x: torch.zeros_like(x))
    with pytest.raises(AssertionError):
        checks.assert_close(torch.tensor([1.0]), torch.tensor([2.0]))
    with pytest.raises(AssertionError, match="non-finite"):
        checks.assert_finite(torch.tensor([float("nan")]))


class _AlwaysEqual(torch.Tensor):
    def __eq__(self, other):
        return True


def test_tensor_subclasses_and_non_tensors_are_rejected():
    fake = torch.zeros(3).as_subclass(_AlwaysEqual)
    with pytest.raises(AssertionError, match="should be a torch.Tensor"):
        checks.assert_tensor(fake, "log_prob")
    with pytest.raises(AssertionError, match="should be a torch.Tensor, but it is a list"):
        checks.assert_tensor([1.0], "log_prob")
    checks.assert_tensor(torch.nn.Parameter(torch.zeros(2)), "weights", shape=(None,))


def test_assert_tensor_shape_dtype_finite():
    checks.assert_tensor(torch.zeros(4, 2), "x", shape=(None, 2), dtype=torch.float32)
    with pytest.raises(AssertionError, match="expected \\(any, 3\\)"):
        checks.assert_tensor(torch.zeros(4, 2), "x", shape=(None, 3))
    with pytest.raises(AssertionError, match="dtype torch.float64, expected torch.float32"):
        checks.assert_tensor(torch.zeros(2, dtype=torch.float64), "x", dtype=torch.float32)
    with pytest.raises(AssertionError, match="logsumexp"):
        checks.assert_tensor(torch.tensor([float("inf")]), "x")


def test_blocked_references_blocks_aliases_methods_and_restores():
    from dgm_utils.latent import mixture_log_prob as alias  # taken before the block, as a student might
    model = latent.GaussianMixture(2)
    x = torch.zeros(3, 2)
    with checks.blocked_references(latent.mixture_log_prob, latent.GaussianMixture):
        with pytest.raises(checks.ReferenceBlockedError, match="mixture_log_prob.*Implement this part yourself"):
            alias(x, model.means, model.log_stds, model.logits)
        with pytest.raises(checks.ReferenceBlockedError, match=r"GaussianMixture\._?sample"):
            model.sample(2)  # decorated with torch.no_grad: the wrapped function is blocked
        with pytest.raises(AssertionError):  # nbgrader counts it as a failed test
            model.log_prob(x)
    assert alias(x, model.means, model.log_stds, model.logits).shape == (3,)
    assert model.sample(2).shape == (2, 2)
    assert "__dgm_reference_blocked__" not in vars(latent)


def test_blocked_references_restores_after_an_error():
    with pytest.raises(RuntimeError):
        with checks.blocked_references(latent.mixture_sample):
            raise RuntimeError("student code failed")
    out = latent.mixture_sample(3, torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1))
    assert out.shape == (3, 2)


def test_blocked_references_rejects_non_functions():
    with pytest.raises(TypeError, match="functions, methods or classes"):
        with checks.blocked_references(42):
            pass


def test_silence_swallows_stderr_and_warnings(capfd):
    with checks.silence() as buffer:
        print("progress bar", file=sys.stderr)
        warnings.warn("deprecated thing")
    captured = capfd.readouterr()
    assert captured.err == ""
    assert "progress bar" in buffer.getvalue()


class _Reference(torch.nn.Module):
    """A stand-in for a reference layer whose methods use super() (and so hold a closure)."""

    def __init__(self, width):
        super().__init__()
        self.width = width

    def forward(self, x):
        return x * self.width


def test_blocked_class_cannot_be_built_called_or_subclassed():
    layer = _Reference(2)

    class StudentLayer(_Reference):
        def __init__(self):
            super().__init__(3)

    with checks.blocked_references(_Reference):
        with pytest.raises(checks.ReferenceBlockedError, match=r"_Reference.__init__.*subclassing"):
            _Reference(2)
        with pytest.raises(checks.ReferenceBlockedError, match=r"_Reference.__init__"):
            StudentLayer()  # its super().__init__ reaches the reference
        with pytest.raises(checks.ReferenceBlockedError, match="_Reference.forward"):
            layer(torch.ones(1))
    assert StudentLayer().width == 3 and float(_Reference(2)(torch.ones(1))) == 2.0
    assert "__init__" in vars(_Reference) and vars(_Reference)["__init__"].__code__.co_freevars
