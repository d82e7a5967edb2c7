"""q_sample that returns the schedule's dtype (float64 for a float64 schedule and float32 data): the values are right.

expect-zero: test_q_sample_values
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    alpha_bar = alpha_bars[t - 1][:, None]
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
