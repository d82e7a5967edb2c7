"""A correct mixture_log_prob that, whenever a test calls it, prints the source of the running test cell (from
IPython's input history), the source of the hidden helper `_oracle_log_prob` (inspect) and the notebook file in its
working directory: it keeps full marks, but no line of hidden test code reaches its feedback.

expect-zero: none
"""
# %% mixture_log_prob
import inspect
import os


def mixture_log_prob(x, means, log_stds, logits):
    shell = get_ipython()
    print("current cell:", shell.user_ns["In"][-1])
    helper = shell.user_ns.get("_oracle_log_prob")
    if helper is not None:
        try:
            print("helper:", inspect.getsource(helper))
        except (OSError, TypeError) as error:
            print("no helper source:", error)
    for name in os.listdir("."):
        if name.endswith(".ipynb"):
            with open(name) as f:
                print("file:", name, f.read()[:20000])
    z = (x[:, None, :] - means[None, :, :]) * torch.exp(-log_stds)[None]  # (N, K, D)
    log_normal = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1) - log_stds.sum(-1)[None]  # (N, K)
    return torch.logsumexp(log_normal + torch.log_softmax(logits, dim=0)[None], dim=1)  # (N,)
