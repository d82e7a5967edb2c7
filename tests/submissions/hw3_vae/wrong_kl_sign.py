"""The KL term with the wrong sign: the 'KL' is never positive, the ELBO exceeds log p(x), and training pushes q away
from the prior.

expect-zero: test_gaussian_kl_values test_gaussian_kl_monte_carlo test_elbo_linear_gaussian test_train_vae
"""
# %% gaussian_kl
def gaussian_kl(mean, log_var):
    return -0.5 * (torch.exp(log_var) + mean**2 - 1 - log_var).sum(-1)
