"""Wrong mixture_log_prob, and replaces the test helpers: dgm_utils.checks.assert_close (direct assignment is refused,
so through the module's __dict__), the setup cell's private `_checks` and `_torch`: all are put back before the
next cell, so the wrong answer scores 0.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality
"""
# %% mixture_log_prob
import types

import dgm_utils.checks


def _pass(*args, **kwargs):
    return None


try:
    dgm_utils.checks.assert_close = _pass
except AttributeError:
    pass
for _name in ("assert_close", "assert_tensor", "assert_shape", "assert_finite"):
    vars(dgm_utils.checks)[_name] = _pass
_checks = types.SimpleNamespace(assert_close=_pass, assert_tensor=_pass, assert_shape=_pass, assert_finite=_pass,
                                blocked_references=dgm_utils.checks.blocked_references,
                                silence=dgm_utils.checks.silence)


def mixture_log_prob(x, means, log_stds, logits):
    return -torch.ones(x.shape[0]) + 0.0 * means.sum() + 0.0 * log_stds.sum() + 0.0 * logits.sum()
