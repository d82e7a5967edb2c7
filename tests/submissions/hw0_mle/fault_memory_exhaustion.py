"""mixture_log_prob allocates memory until it runs out: the memory limit of the submission turns that into a
MemoryError in the cells that call it (0 points there) instead of exhausting the machine.

expect-zero: test_log_prob_values test_log_prob_stable test_log_prob_normalized test_fit_runs test_fit_quality
"""
# %% mixture_log_prob
def mixture_log_prob(x, means, log_stds, logits):
    blocks = []
    while True:
        blocks.append(bytearray(256 << 20))  # 256 MiB, zero-filled (really touched)
