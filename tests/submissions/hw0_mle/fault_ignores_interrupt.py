"""The sampler ignores SIGINT and loops: the interrupt at the cell time limit has no effect, the kernel is killed and
the submission is reported as failed to grade (not given a silent 0).

expect-failure: did not respond to the interrupt
"""
# %% mixture_sample
import signal


def mixture_sample(num_samples, means, log_stds, logits):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
