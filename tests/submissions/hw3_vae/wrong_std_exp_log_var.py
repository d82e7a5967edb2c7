"""The standard deviation taken as exp(log_var) instead of exp(log_var / 2): the samples have the variance
exp(2 log_var), and everything that samples from q is off (IWAE at the exact posterior still passes: there every
weight is p(x) wherever z comes from; training still reaches the threshold).

expect-zero: test_reparameterize_samples test_reparameterize_gradients test_elbo_linear_gaussian test_iwae_tightens
"""
# %% reparameterize
def reparameterize(mean, log_var):
    return mean + torch.exp(log_var) * torch.randn_like(mean)
