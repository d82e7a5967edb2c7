"""A correct submission whose functions write a tqdm progress bar and a library-style warning straight to the
process's stderr (file descriptor 2, which the tests' silence() cannot catch), the first few times they run:
stderr costs no points.

expect-zero: none
"""
# %% mixture_log_prob
import os
import warnings

from tqdm.auto import tqdm

_CALLS = [0]


def mixture_log_prob(x, means, log_stds, logits):
    _CALLS[0] += 1
    if _CALLS[0] <= 3:
        os.write(2, b"\r 50%|#####     | 1/2 [00:00<00:00]\n")
        warnings.warn("a library warning that the grader must not count", UserWarning)
        with os.fdopen(os.dup(2), "w") as stream:
            for _ in tqdm(range(2), file=stream):
                pass
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]  # (N, K, D)
    log_normal = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1) - log_stds.sum(-1)[None]  # (N, K)
    return torch.logsumexp(log_normal + torch.log_softmax(logits, dim=0)[None], dim=1)  # (N,)
