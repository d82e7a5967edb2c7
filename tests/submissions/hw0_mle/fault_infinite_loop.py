"""The sampler never returns (an infinite loop): each cell that calls it is interrupted at the cell time limit and
scores 0; the rest of the notebook is graded normally.

expect-zero: test_sample_shapes test_sample_distribution
"""
# %% mixture_sample
def mixture_sample(num_samples, means, log_stds, logits):
    while True:
        pass
