"""Calls the course's reference implementations in dgm_utils.latent instead of implementing anything: every test cell
must score 0, and the feedback must say that the reference is blocked.

expect-zero: all
"""
# %% reparameterize
def reparameterize(mean, log_var):
    return dgm_utils.latent.reparameterize(mean, log_var)

# %% gaussian_kl
from dgm_utils.latent import gaussian_kl as reference_kl


def gaussian_kl(mean, log_var):
    return reference_kl(mean, log_var)

# %% categorical_log_likelihood
def categorical_log_likelihood(logits, x):
    # the "network" of the reference decoder just flattens the logits it is given in place of z
    decoder = dgm_utils.latent.CategoricalDecoder(nn.Flatten(-2), num_categories=logits.shape[-1])
    return decoder.log_prob(x, logits)

# %% elbo
class FunctionEncoder(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


class FunctionDecoder(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def log_prob(self, x, z):
        return self.function(x, z)


def elbo(x, encoder, log_likelihood):
    latent_dim = encoder(x)[0].shape[-1]
    vae = dgm_utils.latent.VAE(FunctionEncoder(encoder), FunctionDecoder(log_likelihood), latent_dim)
    vae.parameters = lambda: iter([torch.zeros(1)])
    return vae.elbo(x)

# %% iwae_bound
def iwae_bound(x, encoder, log_likelihood, num_samples):
    latent_dim = encoder(x)[0].shape[-1]
    vae = dgm_utils.latent.VAE(FunctionEncoder(encoder), FunctionDecoder(log_likelihood), latent_dim)
    vae.parameters = lambda: iter([torch.zeros(1)])
    return vae.iwae_bound(x, num_samples)
