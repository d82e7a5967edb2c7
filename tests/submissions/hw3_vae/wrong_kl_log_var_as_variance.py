"""The log-variance used as the variance in the KL: 1/2 sum(log_var + mean^2 - 1 - log(log_var)), nan for any negative
log-variance.

expect-zero: test_gaussian_kl_values test_gaussian_kl_monte_carlo test_elbo_linear_gaussian test_train_vae
"""
# %% gaussian_kl
def gaussian_kl(mean, log_var):
    variance = log_var
    return 0.5 * (variance + mean**2 - 1 - torch.log(variance)).sum(-1)
