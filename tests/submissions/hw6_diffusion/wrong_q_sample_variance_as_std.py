"""q_sample with the noise scaled by 1 - alpha_bar_t (the variance) instead of its square root; the loss, which calls
q_sample, inherits it.

expect-zero: test_q_sample_values test_q_sample_moments test_loss_values test_loss_gradient
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    alpha_bar = alpha_bars[t - 1].to(x0.dtype)[:, None]
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar) * noise
