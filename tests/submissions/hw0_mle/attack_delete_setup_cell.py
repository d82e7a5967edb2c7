"""Deletes the read-only setup cell and defines its own `_checks` whose assertions do nothing, with a wrong
mixture_log_prob: the grader puts the setup cell back at the top, so the real helpers run and the answer scores 0.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality
"""
# %% delete setup
# %% mixture_log_prob
import contextlib
import math
import time
import types

import torch

import dgm_utils.checks
import dgm_utils.latent


def _pass(*args, **kwargs):
    return None


_torch, _math, _time_now = torch, math, time.perf_counter
_checks = types.SimpleNamespace(assert_close=_pass, assert_tensor=_pass, assert_shape=_pass, assert_finite=_pass,
                                blocked_references=lambda *a: contextlib.nullcontext(),
                                silence=dgm_utils.checks.silence)
_BLOCKED = ()


def mixture_log_prob(x, means, log_stds, logits):
    return -torch.ones(x.shape[0]) + 0.0 * means.sum() + 0.0 * log_stds.sum() + 0.0 * logits.sum()
