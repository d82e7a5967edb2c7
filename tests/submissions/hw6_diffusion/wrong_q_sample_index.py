"""q_sample that reads alpha_bars[t] for step t (entry 0 taken as step 0), clamped at the last entry; the loss
inherits it.

expect-zero: test_q_sample_values test_q_sample_moments test_loss_values test_loss_gradient
"""
# %% q_sample
def q_sample(x0, t, alpha_bars, noise):
    alpha_bar = alpha_bars[t.clamp(max=len(alpha_bars) - 1)].to(x0.dtype)[:, None]
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * noise
